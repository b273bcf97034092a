"""The dual path block of DPN: a residual path and a densely connected path in one block.

Chen et al. 2017, "Dual Path Networks", arXiv:1707.01629, Section 4 and Table 1 (the
layout of the authors' MXNet code, which timm's ``DualPathBlock`` ports): the block's input
carries ``c`` residual channels followed by the dense path's channels. Pre-activation
units (BN-ReLU-conv) compute a 1x1 reduction to ``r``, a grouped 3x3 conv (``groups``, the
block's stride) and a 1x1 conv to ``c + inc``; its first ``c`` maps are added to the
residual path (ResNet) and its last ``inc`` maps are concatenated to the dense path
(DenseNet), so every block widens the dense path by ``inc``. The first block of a stage
projects its input with a pre-activation 1x1 conv (the stage's stride) to ``c + 2 * inc``
channels, the new residual path and a dense path of ``2 * inc``.

``split_expand=True`` is the MXNet code's "b" block (timm's DPN-68b): one BN-ReLU, then two
1x1 convs for the residual and the dense maps instead of one conv whose output is sliced.
The same function (the two kernels stacked are the one kernel), with its weights kept apart.
"""

from __future__ import annotations

import torch
from torch import nn

from .conv_norm_act import ConvNormAct
from .norm_act import NormAct


class DualPathBlock(nn.Module):
    """One dual path block: ``in_chs`` channels in, ``in_chs + inc`` out (``c + 3 * inc`` when
    it projects). Submodules ``project`` (first block of a stage only), ``reduce``, ``grouped``,
    ``expand``, each a pre-activation ConvNormAct; with ``split_expand``, ``expand`` is a
    NormAct and the convs ``expand_residual`` and ``expand_dense`` follow it."""

    def __init__(self, in_chs: int, r: int, c: int, inc: int, groups: int, stride: int = 1, project: bool = False,
                 bn_eps: float = 1e-5, split_expand: bool = False):
        if not project and in_chs <= c:
            raise ValueError(f"a dual path block without projection takes its {c} residual channels and a dense path "
                             f"after them, so in_chs must exceed c={c}, got {in_chs}; project the stage's first block")
        super().__init__()
        self.c, self.inc = c, inc
        self.project = ConvNormAct(in_chs, c + 2 * inc, 1, stride, pre_act=True, bn_eps=bn_eps) if project else None
        self.reduce = ConvNormAct(in_chs, r, 1, pre_act=True, bn_eps=bn_eps)
        self.grouped = ConvNormAct(r, r, 3, stride, groups, pre_act=True, bn_eps=bn_eps)
        if split_expand:
            self.expand = NormAct(r, bn_eps=bn_eps)
            self.expand_residual = nn.Conv2d(r, c, 1, bias=False)
            self.expand_dense = nn.Conv2d(r, inc, 1, bias=False)
        else:
            self.expand = ConvNormAct(r, c + inc, 1, pre_act=True, bn_eps=bn_eps)
            self.expand_residual = self.expand_dense = None
        self.out_chs = (c + 3 * inc) if project else in_chs + inc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        paths = x if self.project is None else self.project(x)
        y = self.expand(self.grouped(self.reduce(x)))
        if self.expand_residual is None:
            residual, dense = y[:, :self.c], y[:, self.c:]
        else:
            residual, dense = self.expand_residual(y), self.expand_dense(y)
        return torch.cat([paths[:, :self.c] + residual, paths[:, self.c:], dense], 1)
