"""Xception's residual module of separable convolutions (Chollet 2016, arXiv:1610.02357, Fig. 5).

Every module of the entry, middle and exit flows is a few separable convolutions
(:class:`~.depthwise_separable.DepthwiseSeparableConv` in Xception's form: depthwise then
pointwise, no nonlinearity between, BN after), each preceded by a ReLU, then, in the
modules that halve the resolution, a 3x3 max pool of stride 2; a residual connection adds
the module's input, through a 1x1 conv of the module's stride (BN) where the shape changes.
The first module of the entry flow follows the stem's ReLU and so starts without one
(``start_with_relu=False``). ``widths`` are the separable convs' output widths in order:
(728, 728, 728) for a middle-flow module, (728, 1024) for the exit flow's.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .depthwise_separable import DepthwiseSeparableConv
from .shortcut import projection_shortcut


class XceptionModule(nn.Module):
    def __init__(self, in_chs: int, widths: tuple[int, ...], stride: int = 1, start_with_relu: bool = True,
                 bn_eps: float = 1e-5):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"an Xception module's stride must be 1 or 2 (its max pool), got {stride}")
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        chs = in_chs
        for i, width in enumerate(widths):
            if i or start_with_relu:
                layers[f"act{i}"] = nn.ReLU()  # not in place: the shortcut still reads the module's input
            layers[f"sep{i}"] = DepthwiseSeparableConv(chs, width, act=None, bn_eps=bn_eps, dw_norm_act=False)
            chs = width
        if stride == 2:
            layers["pool"] = nn.MaxPool2d(3, 2, padding=1)
        self.body = nn.Sequential(layers)
        self.shortcut = projection_shortcut(in_chs, chs, stride, bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))
