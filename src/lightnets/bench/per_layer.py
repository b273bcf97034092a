"""Where the time goes, layer by layer, next to where the multiply-adds go.

Each leaf module is timed in eager mode with forward pre/post hooks over repeated batch-1
runs and takes the kind of the ops it executed (from :func:`lightnets.profile`: its MAC op
if it has one, else its first op); the median per layer is summed by kind. Time spent
outside leaf modules (residual adds and concatenations written in a block's ``forward``,
functional ops, Python) is the ``outside`` row, so the shares are of the whole forward time.
The seeds' point shows up here: depthwise convolutions hold a few percent of the MACs but a
much larger share of the time, because they do little arithmetic per byte they move.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..analysis import MAC_KINDS, profile
from .latency import thread_count

OUTSIDE = "outside"  # time and MACs outside leaf modules


@dataclass(frozen=True)
class KindTiming:
    kind: str
    layers: int
    ms: float
    time_share: float  # of the whole forward's median time
    macs: int
    macs_share: float


def _leaf_kinds(model: nn.Module, input_size: int) -> tuple[dict[str, str], dict[str, int], int]:
    """Kind and MACs of each leaf module that executed ops, and the model's total MACs."""
    prof = profile(model, input_size)
    leaves = {name for name, m in model.named_modules() if next(m.children(), None) is None}
    kinds: dict[str, str] = {}
    macs: dict[str, int] = {}
    for r in prof.rows:
        key = r.module if r.module in leaves else OUTSIDE
        macs[key] = macs.get(key, 0) + r.macs
        if key != OUTSIDE and (key not in kinds or (r.kind in MAC_KINDS and kinds[key] not in MAC_KINDS)):
            kinds[key] = r.kind
    return kinds, macs, prof.macs


def per_layer_latency(model: nn.Module, input_size: int, *, threads: int | None = None, warmup: int = 5,
                      runs: int = 30) -> tuple[list[KindTiming], float]:
    """Median time per op kind, with an ``outside`` row for time outside leaf modules, and the whole
    forward's median (ms), at batch 1."""
    model = model.eval()
    kinds, leaf_macs, total_macs = _leaf_kinds(model, input_size)
    modules = dict(model.named_modules())
    times: dict[str, list[float]] = {name: [] for name in kinds}
    started: dict[str, float] = {}
    handles = []
    for name in kinds:
        m = modules[name]
        handles.append(m.register_forward_pre_hook(lambda mod, args, name=name: started.__setitem__(
            name, time.perf_counter())))
        handles.append(m.register_forward_hook(lambda mod, args, out, name=name: times[name].append(
            time.perf_counter() - started[name])))
    x = torch.randn(1, getattr(model, "in_chans", 3), input_size, input_size)
    totals = []
    try:
        with thread_count(threads), torch.inference_mode():
            for _ in range(warmup):
                model(x)
            for t in times.values():
                t.clear()
            for _ in range(runs):
                t0 = time.perf_counter()
                model(x)
                totals.append(time.perf_counter() - t0)
    finally:
        for h in handles:
            h.remove()
    total_ms = statistics.median(totals) * 1e3
    by_kind: dict[str, list] = {}
    for name, samples in times.items():
        entry = by_kind.setdefault(kinds[name], [0, 0.0, 0])
        entry[0] += 1
        # A module called k times per forward: k samples a run, so the run's share is k medians.
        entry[1] += statistics.median(samples) * 1e3 * (len(samples) / runs)
        entry[2] += leaf_macs.get(name, 0)
    layer_ms = sum(ms for _, ms, _ in by_kind.values())
    by_kind[OUTSIDE] = [0, max(total_ms - layer_ms, 0.0), leaf_macs.get(OUTSIDE, 0)]
    total_macs = total_macs or 1
    whole = max(total_ms, layer_ms)
    rows = [KindTiming(k, n, ms, ms / whole, m, m / total_macs)
            for k, (n, ms, m) in sorted(by_kind.items(), key=lambda kv: -kv[1][1])]
    return rows, total_ms
