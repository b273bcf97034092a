"""Batch-level MixUp (Zhang et al. 2018) and CutMix (Yun et al. 2019) from torchvision.transforms.v2."""

from __future__ import annotations

import math
from typing import Callable

import torch
from torchvision.transforms import v2

from .errors import DataError

BatchMixer = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def mixup_cutmix(num_classes: int, mixup_alpha: float = 0.0, cutmix_alpha: float = 0.0) -> BatchMixer | None:
    """``None`` when both alphas are 0; otherwise a callable
    ``(images[B, C, H, W], labels[B] long) -> (images, soft labels[B, num_classes])``.

    With both alphas > 0 each batch gets one of the two, chosen with equal probability
    (timm's default ``switch_prob`` of 0.5). Soft labels sum to 1 per row.
    """
    for name, alpha in (("mixup_alpha", mixup_alpha), ("cutmix_alpha", cutmix_alpha)):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha) or alpha < 0:
            raise DataError(f"{name} must be a number >= 0 (0 turns it off; 0.2 to 1.0 are usual), got {alpha!r}")
    if mixup_alpha == 0 and cutmix_alpha == 0:
        return None
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise DataError(f"mixing labels needs num_classes >= 2, got {num_classes!r}")
    mixers = []
    if mixup_alpha > 0:
        mixers.append(v2.MixUp(alpha=float(mixup_alpha), num_classes=num_classes))
    if cutmix_alpha > 0:
        mixers.append(v2.CutMix(alpha=float(cutmix_alpha), num_classes=num_classes))
    return mixers[0] if len(mixers) == 1 else v2.RandomChoice(mixers)
