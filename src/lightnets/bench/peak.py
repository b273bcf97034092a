"""This machine's measured matrix-multiply peak: the ceiling any convolution can reach.

A large fp32 matrix multiply is the most efficient work a CPU does; its multiply-adds per
second bound what a network's MACs can achieve, so ``MACs / peak`` is the physical lower
limit of a model's latency on this machine and threads.

The statistic is the best of several rounds' medians. Each round times a few consecutive
multiplies and keeps their median, the rate sustained through the round (one sample alone
is one draw of timer and scheduler noise). Other processes can only slow a multiply down,
never speed it up, so on a shared machine the least disturbed round is the nearest to what
the hardware does; the median over all samples would measure the machine's load instead
(on a busy two-core machine it moved between 20.6 and 38.5 GMAC/s from run to run). The
spread of the round medians (lowest to highest) is reported next to the peak: a wide one
says the machine was busy while it was measured.

The peak is measured once per machine and cached as JSON in
``$XDG_CACHE_HOME/lightnets/matmul_peak.json`` (``~/.cache/lightnets/`` without it), one
entry per CPU model, torch version, thread count and matrix size, so that every
``lightnets bench`` here divides by the same number; ``remeasure=True`` (``lightnets bench
--remeasure-peak``) measures it again and replaces the entry.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

from ..io import atomic_path
from .latency import thread_count
from .progress import steps

SIZE = 1024  # 1024^3 = 1.07G multiply-adds a call: tens of ms, long against the timer's resolution
ROUNDS = 7
PER_ROUND = 5
WARMUP = 3


@dataclass(frozen=True)
class Peak:
    gmacs: float  # the best round's median, GMAC/s
    rounds: tuple[float, ...]  # each round's median, GMAC/s
    threads: int
    size: int
    measured_at: str  # ISO 8601, local time
    cached: bool = False  # read from the cache rather than measured now

    @property
    def low(self) -> float:
        return min(self.rounds)

    @property
    def high(self) -> float:
        return max(self.rounds)

    def to_dict(self) -> dict:
        return {**asdict(self), "rounds": list(self.rounds), "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, d: dict, cached: bool) -> Peak:
        return cls(gmacs=float(d["gmacs"]), rounds=tuple(float(r) for r in d["rounds"]), threads=int(d["threads"]),
                   size=int(d["size"]), measured_at=str(d["measured_at"]), cached=cached)


def best_round(samples: Sequence[Sequence[float]]) -> tuple[float, tuple[float, ...]]:
    """The peak (highest round median) and each round's median, from per-round samples."""
    if not samples or not all(samples):
        raise ValueError("need at least one round of at least one sample")
    medians = tuple(statistics.median(r) for r in samples)
    return max(medians), medians


def measure_peak(threads: int | None = None, *, size: int = SIZE, rounds: int = ROUNDS, per_round: int = PER_ROUND,
                 progress: bool = False) -> Peak:
    """GMAC/s of ``size x size @ size x size`` fp32 multiplies: best of ``rounds`` medians of
    ``per_round`` calls each, after a warm-up."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    samples = []
    bar = steps(rounds, "matmul peak", progress)
    with thread_count(threads) as n_threads, torch.inference_mode():
        for _ in range(WARMUP):
            a @ b
        for _ in range(rounds):
            rates = []
            for _ in range(per_round):
                t0 = time.perf_counter()
                a @ b
                rates.append(size**3 / (time.perf_counter() - t0) / 1e9)
            samples.append(rates)
            bar.update()
    bar.close()
    peak, medians = best_round(samples)
    return Peak(peak, medians, n_threads, size, datetime.datetime.now().isoformat(timespec="seconds"))


def matmul_peak_gmacs(threads: int | None = None) -> float:
    """The peak measured now (no cache), GMAC/s."""
    return measure_peak(threads).gmacs


def cache_path() -> Path:
    """``$XDG_CACHE_HOME/lightnets/matmul_peak.json``, or under ``~/.cache`` where that is
    unset or not absolute (as the XDG base directory specification says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "lightnets" / "matmul_peak.json"


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_key(threads: int, size: int = SIZE) -> str:
    return f"{cpu_model()} | torch {torch.__version__} | {threads} thread(s) | fp32 {size}x{size}"


def cached_peak(threads: int | None = None, *, remeasure: bool = False, progress: bool = False,
                measure: Callable[[int], Peak] | None = None) -> Peak:
    """This machine's peak for ``threads`` from the cache, measured (by ``measure``, default
    :func:`measure_peak`) and stored when the cache has none or ``remeasure`` is set."""
    with thread_count(threads) as n_threads:
        key = machine_key(n_threads)
    path = cache_path()
    entries = _read(path)
    if not remeasure and key in entries:
        try:
            return Peak.from_dict(entries[key], cached=True)
        except (KeyError, TypeError, ValueError):
            pass  # an entry from another version or a hand edit: measure again
    peak = (measure or (lambda n: measure_peak(n, progress=progress)))(n_threads)
    entries[key] = {k: v for k, v in peak.to_dict().items() if k != "cached"}
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(entries, indent=2) + "\n")
    except OSError:
        pass  # an unwritable cache costs a measurement next time, nothing else
    return peak


def _read(path: Path) -> dict:
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}
