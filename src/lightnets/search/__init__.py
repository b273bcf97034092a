"""Latency-aware adaptation on the user's own machine: latency lookup tables (the measure
NetAdapt and MnasNet rank candidate networks by), MnasNet's reward and the Pareto front."""

from .latency_table import LatencyTable, Prediction, Unit, build_table, network_units, open_table, predict_latency
from .reward import REWARDS, mnas_reward, pareto_front

__all__ = ["REWARDS", "LatencyTable", "Prediction", "Unit", "build_table", "mnas_reward", "network_units",
           "open_table", "pareto_front", "predict_latency"]
