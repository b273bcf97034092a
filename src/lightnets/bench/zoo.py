"""Latency against multiply-adds across the model zoo: each registered model timed in PyTorch
eager, and the scatter plot of the two. Networks with equal MACs land at different latencies
(depthwise layers move many bytes per multiply-add), which the plot shows at a glance."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

from .latency import LatencyResult, measure_latency
from .progress import steps


@dataclass(frozen=True)
class ZooPoint:
    model: str
    macs: int  # per image
    latency: LatencyResult

    def to_dict(self) -> dict:
        return {"model": self.model, "macs": self.macs, **self.latency.to_dict()}


def time_zoo(names: Sequence[str], resolution: int, *, batch: int = 1, threads: int | None = None,
             warmup: int = 10, runs: int = 50, progress: bool = False) -> list[ZooPoint]:
    """MACs and eager latency of each model in ``names`` (built with its defaults, 1000
    classes) on ``batch`` random ``resolution`` x ``resolution`` images."""
    from ..analysis import profile
    from ..models import create_model

    points = []
    bar = steps(len(names), "zoo", progress)
    for name in names:
        bar.set_postfix_str(name)
        model = create_model(name)
        shape = (batch, getattr(model, "in_chans", 3), resolution, resolution)
        points.append(ZooPoint(name, profile(model, resolution).macs,
                               measure_latency(model, shape, threads=threads, warmup=warmup, runs=runs)))
        bar.update()
    bar.close()
    return points


def plot_zoo(points: Sequence[ZooPoint], path: str | os.PathLike, title: str) -> None:
    """Median latency against MACs, one labelled point per model, written as a PNG to ``path``."""
    from matplotlib.figure import Figure

    from ..io import atomic_path

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter([p.macs / 1e6 for p in points], [p.latency.median_ms for p in points])
    for p in points:
        ax.annotate(p.model, (p.macs / 1e6, p.latency.median_ms), fontsize=8, xytext=(4, 2),
                    textcoords="offset points")
    ax.set(xlabel="MACs per image (M)", ylabel="latency, median (ms)", title=title)
    ax.grid(alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
