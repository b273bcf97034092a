"""The basic residual block of ResNet-18/34 (He et al. 2015, arXiv:1512.03385, Section 3 and Fig. 5 left).

Two 3x3 convolutions, the first with the block's stride, each followed by BN; ReLU after the first and after the
addition of the shortcut (the identity, or the projection where the shape changes: :mod:`.shortcut`).

As in the bottleneck, ``conv3x3`` builds the first 3x3 conv (``(in_chs, out_chs, stride, groups) -> module``; timm's
SK-ResNet-18 / 34 make it a selective kernel) and ``attn`` is applied to the second conv's output before the addition.
``conv2_act`` puts an activation after the second conv's BN, before ``attn``: the SE-ResNet-18 / 34 of timm's
``legacy_seresnet18`` / ``34`` (ported from Cadene's pretrainedmodels) have a ReLU there.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .activations import make_activation
from .conv_norm_act import ConvNormAct
from .shortcut import projection_shortcut


class BasicBlock(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, bn_eps: float = 1e-5,
                 conv3x3: Callable[[int, int, int, int], nn.Module] | None = None, attn: nn.Module | None = None,
                 conv2_act: str | None = None):
        super().__init__()
        if conv3x3 is None:
            self.conv1 = ConvNormAct(in_chs, out_chs, 3, stride, bn_eps=bn_eps)
        else:
            self.conv1 = conv3x3(in_chs, out_chs, stride, 1)
        self.conv2 = ConvNormAct(out_chs, out_chs, 3, act=conv2_act, bn_eps=bn_eps)
        self.attn = attn
        self.shortcut = projection_shortcut(in_chs, out_chs, stride, bn_eps)
        self.act = make_activation("relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        out = self.conv2(self.conv1(x))
        return self.act((out if self.attn is None else self.attn(out)) + shortcut)
