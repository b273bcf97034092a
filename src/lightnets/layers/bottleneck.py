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
"""

from __future__ import annotations

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
    ):
        check_groups(groups, mid_chs, "the bottleneck's 3x3 conv")
        super().__init__()
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = ConvNormAct(in_chs, mid_chs, 1, stride_1x1, bn_eps=bn_eps)
        self.conv2 = ConvNormAct(mid_chs, mid_chs, 3, stride_3x3, groups, bn_eps=bn_eps)
        self.conv3 = ConvNormAct(mid_chs, out_chs, 1, act=None, bn_eps=bn_eps)
        self.shortcut = projection_shortcut(in_chs, out_chs, stride, bn_eps)
        self.act = make_activation("relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.conv3(self.conv2(self.conv1(x))) + shortcut)
