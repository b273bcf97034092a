"""Depthwise separable convolution (MobileNetV1, Fig. 3 right).

A k x k depthwise conv filters each channel on its own (BN, activation), then a 1x1
pointwise conv mixes channels (BN, activation). Against a standard k x k conv with N
outputs it costs 1/N + 1/k^2 of the multiply-adds.
"""

from __future__ import annotations

from torch import nn

from .conv_norm_act import ConvNormAct


class DepthwiseSeparableConv(nn.Module):
    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        stride: int = 1,
        kernel_size: int = 3,
        act: str = "relu",
        bn_eps: float = 1e-5,
    ):
        super().__init__()
        self.dw = ConvNormAct(in_chs, in_chs, kernel_size, stride, groups=in_chs, act=act, bn_eps=bn_eps)
        self.pw = ConvNormAct(in_chs, out_chs, 1, act=act, bn_eps=bn_eps)

    def forward(self, x):
        return self.pw(self.dw(x))
