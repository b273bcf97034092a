"""The bottleneck residual block of ResNet-50/101/152 (He et al. 2015, arXiv:1512.03385, Section 4.1 and Fig. 5 right).

A 1x1 convolution reduces the input to ``mid_chs``, a 3x3 convolution works at that width, a 1x1 convolution restores
``out_chs`` (4x the 3x3's width in the paper; wide ResNet doubles the inner width instead, Zagoruyko & Komodakis 2016,
arXiv:1605.07146, as torchvision builds ``wide_resnet50_2``). BN follows every conv, ReLU the first two and the
addition of the shortcut (:mod:`.shortcut`).

Where the block halves the resolution, the stride sits on the 3x3 conv (torchvision's and timm's layout, "ResNet
v1.5") or, with ``stride_in_1x1=True``, on the first 1x1 conv, as in the paper's Caffe models: the same parameters,
but the 3x3 then runs on the smaller map, so ResNet-50 costs 3.86 GMACs instead of 4.09.

``groups`` makes it ResNeXt's grouped bottleneck (Xie et al. 2016, arXiv:1611.05431, Fig. 3(c)): the 3x3 conv splits
its ``mid_chs`` into ``groups`` paths (the cardinality C, each of width d = ``mid_chs / groups``), the aggregated
transformations of Fig. 3(a) in one grouped conv. ResNeXt-50 32x4d's conv2_x block is 256 -> 128 -> 128 (C = 32,
d = 4) -> 256.

Two hooks make the attention networks options of this block, not copies of it: ``conv3x3`` builds the 3x3 conv
(``(in_chs, out_chs, stride, groups) -> module``; SKNet's selective kernel, :mod:`.selective_kernel`), and ``attn``
is a module applied to the last conv's output before the addition (SENet's and GCNet's place: gather-excite,
global context).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .activations import make_activation
from .conv_norm_act import ConvNormAct
from .groups import check_groups
from .shortcut import projection_shortcut


class Bottleneck(nn.Module):
    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        mid_chs: int,
        stride: int = 1,
        stride_in_1x1: bool = False,
        bn_eps: float = 1e-5,
        groups: int = 1,
        conv3x3: Callable[[int, int, int, int], nn.Module] | None = None,
        attn: nn.Module | None = None,
    ):
        check_groups(groups, mid_chs, "the bottleneck's 3x3 conv")
        super().__init__()
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = ConvNormAct(in_chs, mid_chs, 1, stride_1x1, bn_eps=bn_eps)
        if conv3x3 is None:
            self.conv2 = ConvNormAct(mid_chs, mid_chs, 3, stride_3x3, groups, bn_eps=bn_eps)
        else:
            self.conv2 = conv3x3(mid_chs, mid_chs, stride_3x3, groups)
        self.conv3 = ConvNormAct(mid_chs, out_chs, 1, act=None, bn_eps=bn_eps)
        self.attn = attn
        self.shortcut = projection_shortcut(in_chs, out_chs, stride, bn_eps)
        self.act = make_activation("relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        out = self.conv3(self.conv2(self.conv1(x)))
        return self.act((out if self.attn is None else self.attn(out)) + shortcut)
