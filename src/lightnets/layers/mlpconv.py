"""Network in Network's mlpconv layer (Lin et al. 2013, arXiv:1312.4400, Sections 3.1-3.2, Fig. 2).

A k x k convolution followed by 1x1 convolutions, each with ReLU: a small multilayer
perceptron slid over the input, "cascaded cross channel parametric pooling" (the 1x1
convs pool across channels with learnt weights). There is no BN: the network predates it,
so every conv carries a bias.
"""

from __future__ import annotations

from typing import Sequence

from torch import nn

from .conv_norm_act import ConvNormAct


class MlpConv(nn.Module):
    """``conv``: a k x k conv (padded to keep the size) to ``widths[0]`` channels; ``mlp``: one
    1x1 conv to each of ``widths[1:]``; ReLU after every conv."""

    def __init__(self, in_chs: int, widths: Sequence[int], kernel_size: int, act: str = "relu"):
        super().__init__()
        if not widths:
            raise ValueError("an mlpconv layer needs at least its k x k conv: widths must not be empty")
        self.conv = ConvNormAct(in_chs, widths[0], kernel_size, act=act, norm=False)
        self.mlp = nn.Sequential(*(ConvNormAct(i, o, 1, act=act, norm=False) for i, o in zip(widths, widths[1:])))

    def forward(self, x):
        return self.mlp(self.conv(x))
