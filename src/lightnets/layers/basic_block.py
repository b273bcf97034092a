"""The basic residual block of ResNet-18/34 (He et al. 2015, arXiv:1512.03385, Section 3 and Fig. 5 left).

Two 3x3 convolutions, the first with the block's stride, each followed by BN; ReLU after the first and after the
addition of the shortcut (the identity, or the projection where the shape changes: :mod:`.shortcut`).
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation
from .conv_norm_act import ConvNormAct
from .shortcut import projection_shortcut


class BasicBlock(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, bn_eps: float = 1e-5):
        super().__init__()
        self.conv1 = ConvNormAct(in_chs, out_chs, 3, stride, bn_eps=bn_eps)
        self.conv2 = ConvNormAct(out_chs, out_chs, 3, act=None, bn_eps=bn_eps)
        self.shortcut = projection_shortcut(in_chs, out_chs, stride, bn_eps)
        self.act = make_activation("relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.conv2(self.conv1(x)) + shortcut)
