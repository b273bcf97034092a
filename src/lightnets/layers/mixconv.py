"""MixConv (Tan and Le 2019, arXiv:1907.09595, Section 3): the channels split into groups, each group convolved
with its own kernel size, the outputs concatenated.

A depthwise MixConv with kernels (3, 5, 7) looks at three receptive fields at the cost of a few extra multiply-adds;
MixNet also splits its 1x1 expansion and projection convs into groups (two 1x1 kernels: a grouped 1x1 conv). The
paper's two channel partitions (Section 3.2):

- ``"equal"``: every group gets ``channels // n``, the first also the remainder (the released MixNets);
- ``"exponential"``: group i gets ``channels / 2**(i + 1)``, the last the same as the one before it, the first the
  remainder, so smaller groups take the larger kernels.

Input and output channels are split by the same rule. The groups are children ``0``, ``1``, ... (the keys of timm's
``MixedConv2d``), each a plain conv with its own padding, TF's SAME with ``padding="same"``.
"""

from __future__ import annotations

import torch
from torch import nn

from .same_padding import check_padding, padded_conv

SPLITS = ("equal", "exponential")


def split_channels(channels: int, groups: int, rule: str = "equal") -> list[int]:
    """``channels`` split into ``groups`` by ``rule``; a ValueError if a group would get no channel."""
    if rule not in SPLITS:
        raise ValueError(f"the MixConv split must be one of {', '.join(SPLITS)}, got {rule!r}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"a MixConv has an integer >= 1 of kernel groups, got {groups!r}")
    if rule == "equal" or groups == 1:
        sizes = [channels // groups] * groups
    else:
        sizes = [channels // 2 ** (i + 1) for i in range(groups - 1)] + [channels // 2 ** (groups - 1)]
    sizes[0] += channels - sum(sizes)
    if min(sizes) < 1:
        raise ValueError(f"a MixConv of {groups} kernel groups splits {channels} channels ({rule}) into {sizes}: a "
                         f"group with no channel; use fewer kernel sizes or more channels")
    return sizes


class MixConv(nn.ModuleList):
    """Convs of ``kernel_sizes`` on channel groups of ``in_chs`` -> ``out_chs``; ``depthwise`` makes each group
    depthwise (``in_chs == out_chs``). No bias: a BatchNorm follows."""

    def __init__(self, in_chs: int, out_chs: int, kernel_sizes: tuple[int, ...], stride: int = 1, *,
                 depthwise: bool = False, padding: str = "symmetric", split: str = "equal", dilation: int = 1):
        if not kernel_sizes or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 and k % 2
                                       for k in kernel_sizes):
            raise ValueError(f"MixConv kernel sizes must be odd integers >= 1, got {kernel_sizes!r}")
        if depthwise and in_chs != out_chs:
            raise ValueError(f"a depthwise MixConv keeps its width, got {in_chs} -> {out_chs}")
        check_padding(padding)
        in_splits = split_channels(in_chs, len(kernel_sizes), split)
        out_splits = split_channels(out_chs, len(kernel_sizes), split)
        super().__init__(padded_conv(cin, cout, k, stride, padding, dilation, cin if depthwise else 1, bias=False)
                         for k, cin, cout in zip(kernel_sizes, in_splits, out_splits))
        self.in_splits, self.in_channels, self.out_channels = tuple(in_splits), in_chs, out_chs
        self.kernel_sizes, self.stride = tuple(kernel_sizes), (stride, stride)

    def extra_repr(self) -> str:
        return f"kernel_sizes={self.kernel_sizes}, in_splits={self.in_splits}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs, start = [], 0
        for conv, size in zip(self, self.in_splits):  # slices, not torch.split: XNNPACK keeps the batch dynamic
            outs.append(conv(x[:, start:start + size]))
            start += size
        return torch.cat(outs, 1)
