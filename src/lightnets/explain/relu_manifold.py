"""MobileNetV2's Figure 1: why the bottleneck projection is linear.

Sandler et al. 2018 (arXiv:1801.04381, Section 3.2 and Figure 1): a 2-D spiral is embedded
into n dimensions by a random matrix T, ReLU is applied, and the result is projected back
with T's pseudo-inverse. For small n the ReLU collapses whole parts of the spiral onto the
axes and the projection cannot undo it; for n = 15 to 30 most of it comes back. ReLU keeps
information only when the manifold sits in a subspace of much lower dimension than the
space it is applied in, so a block whose output is a narrow bottleneck must not end in a
ReLU: MobileNetV2 makes the projection linear.

The error asks whether the spiral's shape survives: the mean squared distance between the
spiral and the best affine map (least squares) of its reconstruction, over the spiral's
variance (0 = its shape recovered exactly, 1 = nothing of it left), averaged over
``trials`` random matrices, since one draw of T may be lucky. The affine read-out matters
for large n: there pinv(T) ReLU(T x) = x / 2 + pinv(T) |T x| / 2 tends to x / 2 plus an
offset (the figure's panels are drawn at their own scale), which says nothing about lost
information; what ReLU destroys, points folded onto the same output, no affine map undoes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

PAPER_DIMS = (2, 3, 5, 15, 30)  # Figure 1's panels after the input


@dataclass(frozen=True)
class ManifoldResult:
    dims: tuple[int, ...]
    errors: tuple[float, ...]  # shape error per n (see the module), averaged over the trials
    spread: tuple[float, ...]  # its standard deviation over the trials
    points: np.ndarray  # (P, 2): the input spiral
    recovered: tuple[np.ndarray, ...]  # (P, 2) per n: the first trial's reconstruction
    trials: int
    seed: int

    def to_dict(self) -> dict:
        return {"dims": list(self.dims), "errors": list(self.errors), "spread": list(self.spread),
                "points": len(self.points), "trials": self.trials, "seed": self.seed}


def spiral(points: int = 1000, turns: float = 1.5) -> np.ndarray:
    """An Archimedean spiral around the origin, as in the figure: ``points`` x 2, radius up to 1."""
    t = np.linspace(0.0, 1.0, points)
    angle = 2 * math.pi * turns * t
    return np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)


def relu_manifold(dims: Sequence[int] = PAPER_DIMS, *, points: int = 1000, trials: int = 20,
                  seed: int = 0) -> ManifoldResult:
    """Embed :func:`spiral` by a random n x 2 Gaussian T, apply ReLU, map back with pinv(T),
    for each n in ``dims``."""
    dims = tuple(dims)
    if not dims or any(isinstance(n, bool) or not isinstance(n, int) or n < 2 for n in dims):
        raise ValueError(f"dims must be integers >= 2 (the spiral is 2-D), got {list(dims)!r}")
    for label, value, least in (("points", points, 10), ("trials", trials, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{label} must be an integer >= {least}, got {value!r}")
    x = spiral(points)
    scale = float(np.mean(np.sum((x - x.mean(axis=0)) ** 2, axis=1)))
    rng = np.random.default_rng(seed)
    errors, spread, recovered = [], [], []
    for n in dims:
        per_trial = []
        for trial in range(trials):
            t = rng.standard_normal((n, 2))
            back = np.maximum(x @ t.T, 0.0) @ np.linalg.pinv(t).T
            per_trial.append(_affine_error(back, x) / scale)
            if trial == 0:
                recovered.append(back)
        errors.append(float(np.mean(per_trial)))
        spread.append(float(np.std(per_trial)))
    return ManifoldResult(dims, tuple(errors), tuple(spread), x, tuple(recovered), trials, seed)


def _affine_error(back: np.ndarray, x: np.ndarray) -> float:
    """Mean squared distance from ``x`` of the least-squares affine map of ``back``."""
    design = np.hstack([back, np.ones((len(back), 1))])
    coef, *_ = np.linalg.lstsq(design, x, rcond=None)
    return float(np.mean(np.sum((design @ coef - x) ** 2, axis=1)))


def plot_relu_manifold(result: ManifoldResult, path) -> None:
    """The figure's panels: the input spiral, then its reconstruction for each n, with the error."""
    from matplotlib.figure import Figure

    from ..io import atomic_path

    panels = 1 + len(result.dims)
    fig = Figure(figsize=(2.4 * panels, 2.8), layout="constrained")
    axes = fig.subplots(1, panels)
    colour = np.linspace(0, 1, len(result.points))
    axes[0].scatter(*result.points.T, c=colour, s=2, cmap="viridis")
    axes[0].set_title("input")
    for ax, n, back, error in zip(axes[1:], result.dims, result.recovered, result.errors):
        ax.scatter(*back.T, c=colour, s=2, cmap="viridis")
        ax.set_title(f"n = {n}\nerror {error:.3f}")
    for ax in axes:  # each panel at its own scale, as in the paper
        ax.set(aspect="equal", xticks=[], yticks=[])
    fig.suptitle("ReLU in n dimensions, projected back (MobileNetV2 Fig. 1); "
                 f"error averaged over {result.trials} random T", fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
