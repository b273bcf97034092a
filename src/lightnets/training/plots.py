"""Training curves as one PNG: loss, the task's score (top-1, mIoU, mAP) and learning rate against the epoch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..io import atomic_path

PLOT = "curves.png"


def plot_curves(path: str | os.PathLike, history: Sequence[dict[str, Any]], title: str = "", *,
                score: str = "top1", label: str = "top-1") -> Path:
    """Draw train / val loss, the validation ``score`` (``val_<score>``; the training one too where the records
    have it, as classification's ``train_top1``) and the learning rate per epoch into ``path`` (written
    atomically; matplotlib's non-interactive Agg backend, no display needed)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs = [r["epoch"] for r in history]
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    loss, scored, lr = fig.subplots(1, 3)
    for ax, key, ylabel in ((loss, "loss", "loss"), (scored, score, f"{label} (%)")):
        for split in ("train", "val"):
            if all(f"{split}_{key}" in r for r in history):
                ax.plot(epochs, [r[f"{split}_{key}"] for r in history], "o-", label=split)
        ax.set(xlabel="epoch", ylabel=ylabel)
        ax.legend()
        ax.grid(alpha=0.3)
    lr.plot(epochs, [r["lr"] for r in history], "o-", color="tab:green")
    lr.set(xlabel="epoch", ylabel="learning rate (last step)")
    lr.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    lr.grid(alpha=0.3)
    for ax in (loss, scored, lr):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path
