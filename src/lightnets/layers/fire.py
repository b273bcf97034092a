"""SqueezeNet's Fire module (Iandola et al. 2016, arXiv:1602.07360, Section 3.2, Fig. 1) and its bypasses (Section 6).

A *squeeze* layer of ``s1x1`` 1x1 convolutions feeds an *expand* layer of ``e1x1`` 1x1 and
``e3x3`` 3x3 convolutions (the 3x3 padded by 1 so both give the same map), whose outputs are
concatenated along channels: ``e1x1 + e3x3`` maps. ReLU follows every conv; there is no BN
(the network predates its use here), so every conv carries a bias.

Section 6 (Fig. 2) adds bypass connections: ``shortcut="identity"`` (the "simple bypass")
adds the module's input to its concatenated output where the widths match,
``shortcut="conv"`` (the "complex bypass") adds a 1x1 conv of the input (bias, no ReLU) where
they do not. The sum is taken after the expand ReLUs, as the paper draws it.
"""

from __future__ import annotations

import torch
from torch import nn

from .conv_norm_act import ConvNormAct

SHORTCUTS = (None, "identity", "conv")


class Fire(nn.Module):
    """``squeeze`` (1x1) -> ``expand1x1`` (1x1) and ``expand3x3`` (3x3), concatenated; ``shortcut``
    None, "identity" or "conv" (see the module docstring)."""

    def __init__(self, in_chs: int, s1x1: int, e1x1: int, e3x3: int, shortcut: str | None = None):
        super().__init__()
        if shortcut not in SHORTCUTS:
            raise ValueError(f"unknown Fire shortcut {shortcut!r}; valid: {', '.join(map(repr, SHORTCUTS))}")
        out_chs = e1x1 + e3x3
        if shortcut == "identity" and in_chs != out_chs:
            raise ValueError(f"an identity shortcut needs in_chs == e1x1 + e3x3; got {in_chs} and {out_chs}")
        self.squeeze = ConvNormAct(in_chs, s1x1, 1, norm=False)
        self.expand1x1 = ConvNormAct(s1x1, e1x1, 1, norm=False)
        self.expand3x3 = ConvNormAct(s1x1, e3x3, 3, norm=False)
        self.has_shortcut = shortcut is not None
        self.shortcut = nn.Conv2d(in_chs, out_chs, 1) if shortcut == "conv" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        out = torch.cat([self.expand1x1(s), self.expand3x3(s)], 1)
        if not self.has_shortcut:
            return out
        return out + (x if self.shortcut is None else self.shortcut(x))
