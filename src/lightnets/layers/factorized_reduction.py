"""NASNet's factorized reduction (Zoph et al. 2017, arXiv:1707.07012; TF-slim's ``nasnet_utils``): a 1x1
projection of stride 2 that reads every input pixel.

A stride-2 1x1 conv reads one pixel in four. Factorized reduction runs two 1x1 convs side by side, one on the
pixels at even rows and columns, one on those at odd ones (the input shifted up-left by a pixel, zero-padded at
the bottom and right), each to half the output channels (the second to the larger half of an odd count), then
concatenates them and normalises (BN). The odd path reads ``x[1::2, 1::2]`` and pads it (one row or column)
only at an odd input size: padding the whole input, then slicing, costs a copy of the map, and ExecuTorch's
XNNPACK delegate refuses that int8 pad. At stride 1 it is a 1x1 conv and BN. A NASNet cell uses it to bring the
output of the cell before last, at twice the resolution, to the current cell's width and resolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FactorizedReduction(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, stride: int = 2, bn_eps: float = 1e-3):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"a factorized reduction has stride 1 or 2, got {stride}")
        if out_chs < stride:
            raise ValueError(f"a factorized reduction of stride {stride} needs at least {stride} output channels, "
                             f"got {out_chs}")
        half = out_chs // 2 if stride == 2 else out_chs
        self.path1 = nn.Conv2d(in_chs, half, 1, bias=False)
        self.path2 = nn.Conv2d(in_chs, out_chs - half, 1, bias=False) if stride == 2 else None
        self.bn = nn.BatchNorm2d(out_chs, eps=bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.path2 is None:
            return self.bn(self.path1(x))
        even = x[:, :, ::2, ::2]
        return self.bn(torch.cat([self.path1(even), self.path2(pad_like(x[:, :, 1::2, 1::2], even))], 1))


@torch.fx.wrap  # one call in an fx graph (BN folding traces the model), its shape test kept out of the trace
def pad_like(odd: torch.Tensor, even: torch.Tensor) -> torch.Tensor:
    """``odd`` zero-padded at the bottom and right to ``even``'s size: at an odd input size the shifted input's
    last row or column is the padding."""
    rows, cols = even.shape[-2] - odd.shape[-2], even.shape[-1] - odd.shape[-1]
    return F.pad(odd, (0, cols, 0, rows)) if rows or cols else odd
