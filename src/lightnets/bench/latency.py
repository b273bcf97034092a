"""Batch-N CPU latency: warm-up, then the median and 90th percentile of repeated runs.

MACs are not speed: depthwise layers do little arithmetic per byte moved, so two
networks with equal MACs can differ several-fold in latency. This module measures.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

import torch
from torch import nn


@dataclass(frozen=True)
class LatencyResult:
    batch: int
    threads: int
    warmup: int
    runs: int
    median_ms: float
    p90_ms: float
    min_ms: float

    def to_dict(self) -> dict:
        return asdict(self)


@contextlib.contextmanager
def thread_count(threads: int | None) -> Iterator[int]:
    """Run the block with ``threads`` intra-op threads (``None``: leave as is), then restore."""
    before = torch.get_num_threads()
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def percentile(samples: list[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] if len(samples) > 1 else samples[0]


def time_calls(run: Callable[[torch.Tensor], object], x: torch.Tensor, *, threads: int | None = None,
               warmup: int = 10, runs: int = 50) -> LatencyResult:
    """Call ``run(x)`` ``warmup`` times, then time ``runs`` calls with ``threads`` threads."""
    if warmup < 0 or runs < 1:
        raise ValueError(f"need warmup >= 0 and runs >= 1, got warmup={warmup}, runs={runs}")
    samples = []
    with thread_count(threads) as n_threads:
        for _ in range(warmup):
            run(x)
        for _ in range(runs):
            t0 = time.perf_counter()
            run(x)
            samples.append((time.perf_counter() - t0) * 1e3)
    return LatencyResult(
        batch=x.shape[0], threads=n_threads, warmup=warmup, runs=runs,
        median_ms=statistics.median(samples), p90_ms=percentile(samples, 90), min_ms=min(samples),
    )


def measure_latency(
    model: nn.Module,
    input_shape: tuple[int, ...],
    *,
    threads: int | None = None,
    warmup: int = 10,
    runs: int = 50,
) -> LatencyResult:
    """Time ``model`` in eval mode under ``torch.inference_mode`` on a fixed random input."""
    x = torch.randn(input_shape)
    if hasattr(model, "check_input"):
        model.check_input(x)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return time_calls(model, x, threads=threads, warmup=warmup, runs=runs)
    finally:
        model.train(was_training)
