"""Selective kernel convolution (Li et al. 2019, arXiv:1903.06586, Section 3.1 and Fig. 1): SKNet's replacement for
a 3x3 convolution.

Split: M branches convolve the same input with different kernels, each conv + BN + ReLU; a 5x5 branch is a 3x3
with dilation 2 (the paper's choice, the same receptive field for fewer weights), so ``kernels=(3, 5)`` gives M = 2
branches of 3x3 convs dilated 1 and 2, each with ``groups`` G. Fuse: U = the sum of the branches, pooled to s
(C numbers), squeezed by a fully connected layer with BN and ReLU to z of d = max(C / r, L) numbers. Select: a fully
connected layer from z gives M x C logits, a softmax across the M branches turns them into attention weights a, b,
..., and the output is the branches' sum weighted by them per channel. SKNet-50: M = 2, G = 32, r = 16, L = 32.

``split_input`` feeds each branch 1 / M of the input channels instead of all of them (timm's SK-ResNet-18 / 34, which
keeps the parameters down; not in the paper).
"""

from __future__ import annotations

import torch
from torch import nn

from .conv_norm_act import ConvNormAct
from .groups import check_groups


class SelectiveKernel(nn.Module):
    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        stride: int = 1,
        groups: int = 1,
        kernels: tuple[int, ...] = (3, 5),
        reduction: int = 16,
        min_width: int = 32,
        split_input: bool = False,
        bn_eps: float = 1e-5,
    ):
        kernels = tuple(kernels) if isinstance(kernels, (tuple, list)) else kernels
        if not isinstance(kernels, tuple) or len(kernels) < 2:
            raise ValueError(f"a selective kernel needs M >= 2 branches to select among: kernels must be a tuple of "
                             f"two or more odd sizes >= 3, e.g. (3, 5), got {kernels!r}")
        if any(isinstance(k, bool) or not isinstance(k, int) or k < 3 or k % 2 == 0 for k in kernels):
            raise ValueError(f"kernels must be odd sizes >= 3 (a k x k branch is a 3x3 conv dilated (k - 1) / 2), "
                             f"got {kernels!r}")
        for name, value in (("reduction", reduction), ("min_width", min_width)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1 (SKNet's r = 16 and L = 32), got {value!r}")
        if not isinstance(split_input, bool):
            raise ValueError(f"split_input must be True or False, got {split_input!r}")
        if split_input and in_chs % len(kernels):
            raise ValueError(f"split_input gives each of the {len(kernels)} branches 1 / {len(kernels)} of the "
                             f"{in_chs} input channels, which it does not divide")
        branch_in = in_chs // len(kernels) if split_input else in_chs
        check_groups(groups, branch_in, "a selective kernel branch's input")
        check_groups(groups, out_chs, "a selective kernel branch's output")
        super().__init__()
        self.branch_in = branch_in if split_input else None
        self.branches = nn.ModuleList(
            ConvNormAct(branch_in, out_chs, 3, stride, groups, bn_eps=bn_eps, dilation=(k - 1) // 2) for k in kernels)
        reduced = max(out_chs // reduction, min_width)  # d = max(C / r, L)
        self.squeeze = ConvNormAct(out_chs, reduced, 1, bn_eps=bn_eps)
        self.select = nn.Conv2d(reduced, len(kernels) * out_chs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.branch_in
        inputs = [x] * len(self.branches) if c is None else [x[:, i * c:(i + 1) * c] for i in range(len(self.branches))]
        u = torch.stack([branch(part) for branch, part in zip(self.branches, inputs)], 1)  # (B, M, C, H, W)
        z = self.squeeze(u.sum(1).mean((2, 3), keepdim=True))
        weights = self.select(z).unflatten(1, (len(self.branches), -1)).softmax(1)  # across the M branches
        return (u * weights).sum(1)
