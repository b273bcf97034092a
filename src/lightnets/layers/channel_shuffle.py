"""Channel shuffle (ShuffleNet, Zhang et al. 2017, arXiv:1707.01083, Section 3.1 and Fig. 1).

After a grouped convolution each output channel has seen only its own group's inputs;
stacking grouped convs would keep the groups apart forever. Reshaping the channels to
(groups, channels per group), transposing and flattening back sends every group's outputs
to every group of the next layer, at no multiply-add and no parameter: what it costs is
memory traffic (the ShuffleNet V2 paper's "memory access cost").

The channel count is given at construction, so that groups which do not divide it are refused
there, naming both, rather than failing inside ``view`` at the first forward pass.
"""

from __future__ import annotations

import torch
from torch import nn


class ChannelShuffle(nn.Module):
    def __init__(self, groups: int, channels: int):
        super().__init__()
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be an integer >= 1, got {groups!r}")
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels must be an integer >= 1, got {channels!r}")
        if channels % groups:
            divisors = [g for g in range(1, channels + 1) if channels % g == 0]
            raise ValueError(f"channel shuffle: groups={groups} does not divide the {channels} channels; valid groups "
                             f"for {channels} channels: {', '.join(map(str, divisors))}")
        self.groups, self.channels = groups, channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)

    def extra_repr(self) -> str:
        return f"groups={self.groups}, channels={self.channels}"
