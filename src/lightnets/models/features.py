"""A model's stage outputs for dense tasks (detection, segmentation): timm's ``features_only``.

``create_model(name, features_only=True, out_indices=(1, 3))`` or ``FeatureNet(model,
(1, 3))`` keeps the stem and the stages up to the deepest one asked for, and returns a
list of their feature maps, each at the ``num_chs`` and ``reduction`` its ``feature_info``
entry states. State-dict keys are the classifier's (``stem.*``, ``stages.N.*``), so a
classification checkpoint loads into it with ``strict=False`` (only the head is left out).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from .base import LightNet, check_image_batch, run_stages
from .tracing import is_tracing


def check_out_indices(out_indices: Sequence[int] | None, num_stages: int) -> tuple[int, ...]:
    """``out_indices`` as distinct stage indices in ascending order (negative ones count from
    the end, as in Python); ``None`` means every stage."""
    if out_indices is None:
        return tuple(range(num_stages))
    valid = f"distinct stage indices from 0 to {num_stages - 1} (or -{num_stages} to -1 from the end)"
    try:
        indices = tuple(out_indices)
    except TypeError:
        raise ValueError(f"out_indices must be a sequence of {valid}, got {out_indices!r}") from None
    in_range = (not isinstance(i, bool) and isinstance(i, int) and -num_stages <= i < num_stages for i in indices)
    if not indices or isinstance(out_indices, str) or not all(in_range):
        raise ValueError(f"out_indices must be a non-empty sequence of {valid}, got {out_indices!r}")
    normal = [i % num_stages for i in indices]
    if len(set(normal)) != len(normal):
        raise ValueError(f"out_indices must be {valid}; {out_indices!r} names a stage twice")
    return tuple(sorted(normal))


class FeatureNet(nn.Module):
    """The stem and stages of ``model`` up to the deepest of ``out_indices``; ``forward``
    returns the output of each stage in ``out_indices``, shallowest first."""

    def __init__(self, model: LightNet, out_indices: Sequence[int] | None = None):
        super().__init__()
        indices = check_out_indices(out_indices, len(model.feature_info))
        self.stem = model.stem
        self.stages = model.stages[: indices[-1] + 1]
        self.out_indices = indices
        self.feature_info = [dict(model.feature_info[i]) for i in indices]
        self.in_chans = model.in_chans
        self.total_stride = self.feature_info[-1]["reduction"]
        self.min_input = max(self.total_stride, model.min_input)
        self.default_cfg = dict(model.default_cfg)
        self.config: dict[str, Any] = {**model.config, "features_only": True, "out_indices": list(indices)}

    def check_input(self, x: torch.Tensor) -> None:
        check_image_batch(x, self.in_chans, self.total_stride, self.min_input)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if not is_tracing():
            self.check_input(x)
        return run_stages(self.stem(x), self.stages, self.out_indices)[1]
