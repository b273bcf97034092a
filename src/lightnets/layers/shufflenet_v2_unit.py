"""The ShuffleNet V2 unit (Ma et al. 2018, arXiv:1807.11164, Section 4 and Fig. 3 c, d).

Built from the paper's guidelines: no grouped 1x1 convs (G2), equal widths in and out of every 1x1 conv (G1), two
branches only (G3), no elementwise add (G4). At stride 1 a channel split gives half the channels to an identity
(left) branch and half to the right branch, 1x1 conv (BN, ReLU) -> 3x3 depthwise conv (BN) -> 1x1 conv (BN, ReLU);
the two halves are concatenated and shuffled with two groups so that the next unit's split mixes them. At stride 2
there is no split: both branches take the whole input and downsample, the left one by a 3x3 depthwise conv of stride
2 (BN) and a 1x1 conv (BN, ReLU), so the unit doubles its width. Each branch gives ``out_chs / 2`` there
(torchvision's layout) unless ``left_chs`` says otherwise: the authors' code (megvii-model/ShuffleNet-Series) keeps
the left branch at its input width and gives the right branch the rest, which differs only where a stage more than
doubles the width (Stage 2 of 1x-2x: 24 -> 116 is 24 + 92 there, 58 + 58 in torchvision).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .channel_shuffle import ChannelShuffle
from .conv_norm_act import ConvNormAct


class ShuffleNetV2Unit(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, bn_eps: float = 1e-5, left_chs: int | None = None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if out_chs % 2:
            raise ValueError(f"a ShuffleNet V2 unit's right branch works at half its output width: out_chs must be "
                             f"even, got {out_chs}")
        if stride == 1 and in_chs != out_chs:
            raise ValueError(f"a stride-1 ShuffleNet V2 unit splits its input in two halves and keeps one: in_chs "
                             f"{in_chs} must equal out_chs {out_chs}")
        branch = out_chs // 2
        left_chs = branch if left_chs is None else left_chs
        if stride == 1 and left_chs != branch or not 0 < left_chs < out_chs:
            raise ValueError(f"left_chs must be between 0 and out_chs {out_chs} (exclusive) and, at stride 1 (a "
                             f"channel split in halves), {branch}; got {left_chs!r}")
        right_in = in_chs if stride == 2 else branch
        self.left = nn.Sequential(OrderedDict(
            dw=ConvNormAct(in_chs, in_chs, 3, stride, groups=in_chs, act=None, bn_eps=bn_eps),
            pw=ConvNormAct(in_chs, left_chs, 1, bn_eps=bn_eps),
        )) if stride == 2 else None
        self.right = nn.Sequential(OrderedDict(
            pw1=ConvNormAct(right_in, branch, 1, bn_eps=bn_eps),
            dw=ConvNormAct(branch, branch, 3, stride, groups=branch, act=None, bn_eps=bn_eps),
            pw2=ConvNormAct(branch, out_chs - left_chs, 1, bn_eps=bn_eps),
        ))
        self.shuffle = ChannelShuffle(2, out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.left is None:
            left, right = x.chunk(2, dim=1)
            out = torch.cat((left, self.right(right)), dim=1)
        else:
            out = torch.cat((self.left(x), self.right(x)), dim=1)
        return self.shuffle(out)
