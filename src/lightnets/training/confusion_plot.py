"""The confusion matrix as a PNG: rows are true classes, columns predictions, row-normalised."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import torch

from ..io import atomic_path


def plot_confusion(path: str | os.PathLike, confusion: torch.Tensor, classes: Sequence[str], title: str = "") -> Path:
    """Draw ``confusion[t, p]`` (counts) as per-class recall shades with the counts written
    in each cell; written atomically with matplotlib's Agg backend."""
    from matplotlib.figure import Figure

    n = len(classes)
    counts = confusion.to(torch.float64)
    rates = counts / counts.sum(dim=1, keepdim=True).clamp(min=1)
    side = max(4.0, 0.55 * n + 2)
    fig = Figure(figsize=(side, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(rates.numpy(), cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    ax.set_xticks(range(n), classes, rotation=45, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    if n <= 30:
        for t in range(n):
            for p in range(n):
                ax.text(p, t, int(counts[t, p]), ha="center", va="center", fontsize=7,
                        color="white" if rates[t, p] > 0.5 else "black")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path
