"""Accuracy against measured latency as a PNG, one labelled point per network and the
Pareto front (:func:`~.reward.pareto_front`) joined: the plot of a sweep and of a search."""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_path


def plot_front(path: Path, points: list[dict], title: str, ylabel: str = "top-1 (%)") -> Path:
    """``points``: dicts of ``latency_ms``, ``top1``, ``label`` and ``pareto`` (on the front)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    ax.scatter([p["latency_ms"] for p in points], [p["top1"] for p in points], color="tab:blue", zorder=2)
    for p in points:
        ax.annotate(p["label"], (p["latency_ms"], p["top1"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    front = sorted((p for p in points if p["pareto"]), key=lambda p: p["latency_ms"])
    ax.plot([p["latency_ms"] for p in front], [p["top1"] for p in front], "-", color="tab:red", label="Pareto front")
    ax.set(xlabel="measured latency (ms)", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path
