"""The confusion matrix as a PNG: rows are true classes, columns predictions, row-normalised."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Sequence

import torch

from ..io import atomic_path

TITLE_POINTS = 10
CHAR_WIDTH = 0.6  # average glyph width of matplotlib's default sans-serif, in ems (generous)


def plot_confusion(path: str | os.PathLike, confusion: torch.Tensor, classes: Sequence[str], title: str = "") -> Path:
    """Draw ``confusion[t, p]`` (counts) as per-class recall shades with the counts written
    in each cell; written atomically with matplotlib's Agg backend.

    ``title`` lines are fitted to the figure's width (see :func:`fit_title`) and drawn above
    the plot and its colour bar.
    """
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
    ax.set(xlabel="predicted", ylabel="true")
    if title:
        fig.suptitle(fit_title(title, int(side * 72 / (TITLE_POINTS * CHAR_WIDTH))), fontsize=TITLE_POINTS)
    if n <= 30:
        for t in range(n):
            for p in range(n):
                ax.text(p, t, int(counts[t, p]), ha="center", va="center", fontsize=7,
                        color="white" if rates[t, p] > 0.5 else "black")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path


def fit_title(title: str, width: int) -> str:
    """``title`` with every path of more than two components cut to its last two
    (``/home/me/data/train`` -> ``…/data/train``) and each line wrapped at ``width``
    characters, so that nothing is cut off at the figure's edges."""
    lines = []
    for line in title.splitlines():
        line = re.sub(r"\S*/\S*", lambda m: _short_path(m.group()), line)
        lines += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
    return "\n".join(lines)


def _short_path(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return path if len(parts) <= 2 else "…/" + "/".join(parts[-2:])
