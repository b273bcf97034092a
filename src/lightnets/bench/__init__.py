"""Latency measurement on the real CPU, next to the multiply-adds."""

from .latency import LatencyResult, measure_latency, thread_count

__all__ = ["LatencyResult", "measure_latency", "thread_count"]
