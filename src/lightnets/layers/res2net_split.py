"""The Res2Net bottleneck: a hierarchical split of the 3x3 conv (Gao et al. 2019, arXiv:1904.01169, Section 3.1 and
Fig. 2).

A 1x1 conv widens the input to ``scale`` x ``split_chs`` channels (s splits x_1 .. x_s of width w); then
y_1 = K_1(x_1) and y_i = K_i(x_i + y_(i-1)) for the next splits, each K_i a 3x3 conv-BN-ReLU of ``split_chs``, so
the i-th output has seen receptive fields of 3, 5, ... up to 2i + 1 pixels: several scales within one block. The
last split x_s passes through unchanged; the outputs are concatenated, and a 1x1 conv restores ``out_chs``, whose
sum with the shortcut (:mod:`.shortcut`) goes through ReLU, as in ResNet's bottleneck (:mod:`.bottleneck`).

A stage's first block (the one that projects its shortcut, ``first=True``) has no hierarchy: each of the first s-1
splits gets its own 3x3 conv, at the block's stride, and the last split is average-pooled (3x3, padding 1, the
block's stride), as the authors' released code and timm build it.

Options of the paper's Section 3.2 (Fig. 3): ``groups`` in every 3x3 conv (Res2NeXt, the cardinality of ResNeXt)
and squeeze-and-excitation on the block's output before the addition (``se``, the SE layer; SE-Res2Net).
The splits are a Python loop over ``torch.split``, traceable by torch.fx and torch.export.
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation
from .conv_norm_act import ConvNormAct
from .groups import check_groups
from .shortcut import projection_shortcut


class Res2NetBottleneck(nn.Module):
    """Submodules ``conv1`` (1x1 to ``scale * split_chs``), ``splits`` (the ``scale - 1`` 3x3 convs), ``pool``
    (first blocks only), ``conv3`` (1x1, linear), ``se`` (or None), ``shortcut`` (or None) and ``act``."""

    def __init__(self, in_chs: int, out_chs: int, split_chs: int, scale: int, stride: int = 1, first: bool = False,
                 groups: int = 1, se: nn.Module | None = None, bn_eps: float = 1e-5):
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 2:
            raise ValueError(f"scale must be an integer >= 2 (the number of splits; 1 would be ResNet's bottleneck, "
                             f"with no split to pass a receptive field on), got {scale!r}")
        check_groups(groups, split_chs, "each Res2Net split's 3x3 conv")
        super().__init__()
        self.split_chs, self.first = split_chs, first
        self.conv1 = ConvNormAct(in_chs, scale * split_chs, 1, bn_eps=bn_eps)
        self.splits = nn.ModuleList(ConvNormAct(split_chs, split_chs, 3, stride, groups, bn_eps=bn_eps)
                                    for _ in range(scale - 1))
        self.pool = nn.AvgPool2d(3, stride, padding=1) if first else None
        self.conv3 = ConvNormAct(scale * split_chs, out_chs, 1, act=None, bn_eps=bn_eps)
        self.se = se
        self.shortcut = projection_shortcut(in_chs, out_chs, stride, bn_eps)
        self.act = make_activation("relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        splits = torch.split(self.conv1(x), self.split_chs, 1)
        outs = []
        for i, conv in enumerate(self.splits):
            outs.append(conv(splits[i] if i == 0 or self.first else outs[-1] + splits[i]))
        outs.append(splits[-1] if self.pool is None else self.pool(splits[-1]))
        y = self.conv3(torch.cat(outs, 1))
        if self.se is not None:
            y = self.se(y)
        return self.act(y + shortcut)
