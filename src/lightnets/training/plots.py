"""Training curves as one PNG: loss, top-1 accuracy and learning rate against the epoch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..io import atomic_path

PLOT = "curves.png"


def plot_curves(path: str | os.PathLike, history: Sequence[dict[str, Any]], title: str = "") -> Path:
    """Draw train / val loss, train / val top-1 and the learning rate per epoch into ``path``
    (written atomically; matplotlib's non-interactive Agg backend, no display needed)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = [r["epoch"] for r in history]
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    loss, top1, lr = fig.subplots(1, 3)
    for ax, key, label in ((loss, "loss", "loss"), (top1, "top1", "top-1 (%)")):
        ax.plot(epochs, [r[f"train_{key}"] for r in history], "o-", label="train")
        ax.plot(epochs, [r[f"val_{key}"] for r in history], "o-", label="val")
        ax.set(xlabel="epoch", ylabel=label)
        ax.legend()
        ax.grid(alpha=0.3)
    lr.plot(epochs, [r["lr"] for r in history], "o-", color="tab:green")
    lr.set(xlabel="epoch", ylabel="learning rate (last step)")
    lr.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    lr.grid(alpha=0.3)
    for ax in (loss, top1, lr):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path
