"""This machine's measured matrix-multiply peak: the ceiling any convolution can reach.

A large fp32 matrix multiply is the most efficient work a CPU does; its multiply-adds per
second bound what a network's MACs can achieve, so ``2 x MACs / peak`` is the physical
lower limit of a model's latency on this machine and threads.
"""

from __future__ import annotations

import statistics
import time

import torch

from .latency import thread_count


def matmul_peak_gmacs(threads: int | None = None, size: int = 1024, runs: int = 7) -> float:
    """Median GMAC/s of ``size x size @ size x size`` fp32 multiplies (after a warm-up)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    rates = []
    with thread_count(threads), torch.inference_mode():
        for _ in range(3):
            a @ b
        for _ in range(runs):
            t0 = time.perf_counter()
            a @ b
            rates.append(size**3 / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)
