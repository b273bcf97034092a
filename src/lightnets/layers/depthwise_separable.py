"""Depthwise separable convolution (MobileNetV1, Fig. 3 right; Xception's "separable convolution").

A k x k depthwise conv filters each channel on its own (BN, activation), then a 1x1
pointwise conv mixes channels (BN, activation). Against a standard k x k conv with N
outputs it costs 1/N + 1/k^2 of the multiply-adds.

``dw_norm_act=False`` is Xception's form (Chollet 2016, arXiv:1610.02357, Section 4.7): the
depthwise conv feeds the pointwise one directly, with no BN and no nonlinearity between
them (the paper finds the intermediate nonlinearity hurts); the BN and ``act`` (``None``:
linear) come after the pointwise conv only.

``attn`` is a module applied to the pointwise conv's output (SE-MobileNetV1's squeeze-and-excite). ``padding`` is
the depthwise conv's (:class:`~.conv_norm_act.ConvNormAct`'s: ``"same"`` for TF-trained weights).
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
        act: str | None = "relu",
        bn_eps: float = 1e-5,
        dw_norm_act: bool = True,
        attn: nn.Module | None = None,
        padding: str = "symmetric",
    ):
        super().__init__()
        self.dw = (ConvNormAct(in_chs, in_chs, kernel_size, stride, groups=in_chs, act=act, bn_eps=bn_eps,
                               padding=padding)
                   if dw_norm_act else
                   ConvNormAct(in_chs, in_chs, kernel_size, stride, groups=in_chs, act=None, norm=False, bias=False,
                               padding=padding))
        self.pw = ConvNormAct(in_chs, out_chs, 1, act=act, bn_eps=bn_eps)
        self.attn = attn

    def forward(self, x):
        out = self.pw(self.dw(x))
        return out if self.attn is None else self.attn(out)
