"""Inception-ResNet's residual Inception block: x + scale * (1x1 conv of an Inception module).

Szegedy et al. 2016, arXiv:1602.07261, Figs. 16-18 (Inception-ResNet-v2's A, B and C
blocks): the branches' concatenation is projected back to the input width by a linear 1x1
conv with a bias and no BN ("1x1 Conv (Linear)"), scaled down and added to the input, then
ReLU. Section 3.3: scaling the residual by 0.1 to 0.3 before the addition keeps very wide
residual networks from dying early in training. ``attn`` is a module applied to the projection, before the scale
(SENet's squeeze-and-excite on the residual branch, Fig. 3).
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation
from .conv_norm_act import ConvNormAct
from .inception import Branch, InceptionModule


class InceptionResidual(nn.Module):
    """``act(x + scale * project(branches(x)))``: ``branches`` an :class:`InceptionModule`,
    ``project`` the linear 1x1 conv (with bias) back to ``in_chs``; ``act=None`` leaves the
    sum linear (Inception-ResNet-v2's last block before the final 1x1 conv)."""

    def __init__(self, in_chs: int, branches: tuple[Branch, ...], scale: float, act: str | None = "relu",
                 bn_eps: float = 1e-5, attn: nn.Module | None = None):
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 1:
            raise ValueError(f"residual scale must be a number in (0, 1], got {scale!r}")
        self.scale = float(scale)
        self.branches = InceptionModule(in_chs, branches, bn_eps=bn_eps)
        self.project = ConvNormAct(self.branches.out_chs, in_chs, 1, norm=False, act=None)
        self.attn = attn
        self.out_chs = in_chs
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.branches(x))
        if self.attn is not None:
            out = self.attn(out)
        return self.act(out * self.scale + x)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"
