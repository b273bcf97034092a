"""Where the time goes, layer by layer, next to where the multiply-adds go.

Each leaf layer is timed in eager mode with forward pre/post hooks over repeated batch-1
runs; the median per layer is summed by op kind. The seeds' point shows up here:
depthwise convolutions hold a few percent of the MACs but a much larger share of the time,
because they do little arithmetic per byte they move.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..analysis import profile
from ..analysis.op_kind import module_kind
from ..layers import SqueezeExcite
from .latency import thread_count


@dataclass(frozen=True)
class KindTiming:
    kind: str
    layers: int
    ms: float
    time_share: float
    macs: int
    macs_share: float


def per_layer_latency(model: nn.Module, input_size: int, *, threads: int | None = None, warmup: int = 5,
                      runs: int = 30) -> tuple[list[KindTiming], float]:
    """Median time per op kind (and the whole forward's median, ms) at batch 1."""
    model = model.eval()
    prof = profile(model, input_size)
    macs_by_kind = {k: d["macs"] for k, d in prof.by_kind().items()}
    se_members = {id(m) for se in model.modules() if isinstance(se, SqueezeExcite) for m in se.modules()}
    kinds = {name: module_kind(m, id(m) in se_members) for name, m in model.named_modules()}
    leaves = {name: m for name, m in model.named_modules() if kinds[name] is not None}
    times: dict[str, list[float]] = {name: [] for name in leaves}
    started: dict[str, float] = {}
    handles = []
    for name, m in leaves.items():
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
    by_kind: dict[str, list] = {}
    for name, samples in times.items():
        entry = by_kind.setdefault(kinds[name], [0, 0.0])
        entry[0] += 1
        entry[1] += statistics.median(samples) * 1e3
    layer_ms = sum(ms for _, ms in by_kind.values())
    total_macs = prof.macs or 1
    rows = [KindTiming(k, n, ms, ms / layer_ms, macs_by_kind.get(k, 0), macs_by_kind.get(k, 0) / total_macs)
            for k, (n, ms) in sorted(by_kind.items(), key=lambda kv: -kv[1][1])]
    return rows, statistics.median(totals) * 1e3
