"""Latency-aware adaptation on the user's own machine: latency lookup tables (the measure
NetAdapt and MnasNet rank candidate networks by), MnasNet's reward and the Pareto front;
pruning, NetAdapt, sweeps and the platform-aware search are in their modules."""

from .latency_table import (LatencyProbe, LatencyTable, Prediction, Unit, build_table, network_units, open_table,
                            predict_latency)
from .reward import REWARDS, mark_front, mnas_reward, pareto_front

__all__ = ["REWARDS", "LatencyProbe", "LatencyTable", "Prediction", "Unit", "build_table", "mark_front",
           "mnas_reward", "network_units", "open_table", "pareto_front", "predict_latency"]
