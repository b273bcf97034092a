"""Inverted residual with linear bottleneck (MobileNetV2 Table 1; MobileNetV3 "bneck").

1x1 expansion to a wide space (skipped when the expanded width equals the input), k x k
depthwise conv, optional squeeze-and-excite on the expanded features, then a *linear*
1x1 projection back to a narrow bottleneck: no activation there, because ReLU in a
low-dimensional space destroys information. The shortcut joins the narrow bottlenecks
when stride is 1 and input and output widths match.

A network with per-layer widths (``widths=``, as NetAdapt or a search leaves it) keeps its
architecture's topology, not what its new widths happen to allow: ``expand`` and
``shortcut`` then say whether the block has the expansion conv and the shortcut, and a
shortcut needs stride 1 and equal widths.
"""

from __future__ import annotations

import torch
from torch import nn

from .conv_norm_act import ConvNormAct
from .squeeze_excite import SqueezeExcite


class InvertedResidual(nn.Module):
    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        expanded_chs: int,
        kernel_size: int = 3,
        stride: int = 1,
        act: str = "relu6",
        se_reduced: int | None = None,
        se_gate: str = "hard_sigmoid",
        bn_eps: float = 1e-5,
        expand: bool | None = None,
        shortcut: bool | None = None,
    ):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        expand = expanded_chs != in_chs if expand is None else expand
        shortcut = stride == 1 and in_chs == out_chs if shortcut is None else shortcut
        if not expand and expanded_chs != in_chs:
            raise ValueError(f"a block without its expansion conv keeps its input width: expanded {expanded_chs} "
                             f"!= input {in_chs}")
        if shortcut and not (stride == 1 and in_chs == out_chs):
            raise ValueError(f"a shortcut needs stride 1 and equal widths, got stride {stride}, {in_chs} -> {out_chs}")
        self.expand = ConvNormAct(in_chs, expanded_chs, 1, act=act, bn_eps=bn_eps) if expand else None
        self.dw = ConvNormAct(
            expanded_chs, expanded_chs, kernel_size, stride, groups=expanded_chs, act=act, bn_eps=bn_eps
        )
        self.se = SqueezeExcite(expanded_chs, se_reduced, gate=se_gate) if se_reduced else None
        self.project = ConvNormAct(expanded_chs, out_chs, 1, act=None, bn_eps=bn_eps)
        self.has_shortcut = shortcut

    def extra_repr(self) -> str:
        return f"shortcut={self.has_shortcut}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.expand is None else self.expand(x)
        out = self.dw(out)
        if self.se is not None:
            out = self.se(out)
        out = self.project(out)
        return x + out if self.has_shortcut else out
