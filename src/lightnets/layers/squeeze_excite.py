"""Squeeze-and-excitation (Hu et al. 2017, arXiv:1709.01507, Section 3): global pool, two 1x1 layers, a gate that
rescales channels.

The block takes its reduced width; how each family reduces is stated here, in one place:

- SENet (:func:`senet_width`): C channels squeeze to C // r, r = 16 (Section 6.1, Table 10), gate sigmoid. Every
  network lightnets gives SE as an option takes this rule with ``se_reduction`` = r: SE-ResNet / ResNeXt, SE-Res2Net,
  SE-BN-Inception, SE-Inception-ResNet-v2, SE-MobileNetV1 and SE-ShuffleNet V1. (timm's ``seresnet*`` /
  ``seresnext*`` round C / 16 to a multiple of 8 instead, which is C // 16 at every width of their bottlenecks.)
- MobileNetV3 (:func:`mobilenet_v3_width`): a quarter of the expanded width, rounded to a multiple of 8 (the paper's
  Section 5.3 and its released models), gate hard-sigmoid.
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation
from .make_divisible import make_divisible

SENET_REDUCTION = 16  # SENet's reduction ratio r


def check_reduction(reduction: int) -> int:
    if isinstance(reduction, bool) or not isinstance(reduction, int) or reduction < 1:
        raise ValueError(f"se_reduction must be an integer >= 1 (SENet's reduction ratio r: an SE layer squeezes C "
                         f"channels to C // r; the paper's r is {SENET_REDUCTION}), got {reduction!r}")
    return reduction


def se_option(se: bool, reduction: int) -> int | None:
    """A builder's ``se`` and ``se_reduction`` checked: the reduction ratio where SE is on, else None."""
    if not isinstance(se, bool):
        raise ValueError(f"se must be True or False, got {se!r}")
    check_reduction(reduction)
    if not se and reduction != SENET_REDUCTION:
        raise ValueError(f"se_reduction={reduction} applies to the squeeze-and-excite layers of se=True only")
    return reduction if se else None


def senet_width(channels: int, reduction: int = SENET_REDUCTION) -> int:
    """SENet's reduced width C // r; a ValueError naming the widths where that leaves no channel."""
    reduced = channels // check_reduction(reduction)
    if reduced < 1:
        raise ValueError(f"se_reduction={reduction} leaves an SE layer on {channels} channels with "
                         f"{channels} // {reduction} = 0 channels; take se_reduction <= {channels}")
    return reduced


def mobilenet_v3_width(expanded: int) -> int:
    """MobileNetV3's reduced width: a quarter of the expanded width, a multiple of 8."""
    return make_divisible(expanded / 4, 8)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduced: int, act: str = "relu", gate: str = "hard_sigmoid"):
        super().__init__()
        if reduced < 1:
            raise ValueError(f"SE reduced width must be >= 1, got {reduced}")
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.act = make_activation(act)
        self.fc2 = nn.Conv2d(reduced, channels, 1)
        self.gate = make_activation(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.mean((2, 3), keepdim=True)
        scale = self.gate(self.fc2(self.act(self.fc1(scale))))
        return x * scale


def senet_se(channels: int, reduction: int = SENET_REDUCTION) -> SqueezeExcite:
    """SENet's SE layer on ``channels``: C // r, ReLU, sigmoid gate."""
    return SqueezeExcite(channels, senet_width(channels, reduction), gate="sigmoid")
