"""Convolution -> BatchNorm -> activation, the unit every network here is made of."""

from __future__ import annotations

import math

from torch import nn

from .activations import make_activation


class ConvNormAct(nn.Sequential):
    """A k x k convolution (bias-free), BatchNorm and an activation (``None`` = linear).

    ``groups == in_chs`` gives a depthwise convolution. Padding is ``k // 2`` so that
    stride 1 keeps the spatial size and stride 2 halves it (rounded up).
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        act: str | None = "relu",
        bn_eps: float = 1e-5,
    ):
        check_bn_eps(bn_eps)
        if in_chs % groups or out_chs % groups:
            raise ValueError(
                f"groups={groups} must divide both in_chs={in_chs} and out_chs={out_chs}"
            )
        super().__init__()
        self.conv = nn.Conv2d(
            in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=False
        )
        self.bn = nn.BatchNorm2d(out_chs, eps=bn_eps)
        self.act = make_activation(act)


def check_bn_eps(bn_eps: float) -> None:
    """BatchNorm divides by sqrt(var + eps): eps must be a finite number > 0."""
    if isinstance(bn_eps, bool) or not isinstance(bn_eps, (int, float)) or not (0 < bn_eps and math.isfinite(bn_eps)):
        raise ValueError(f"bn_eps must be a finite number > 0 (BatchNorm's epsilon: 1e-5 is PyTorch's default, "
                         f"1e-3 TensorFlow's), got {bn_eps!r}")
