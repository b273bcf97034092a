"""The ShuffleNet unit (Zhang et al. 2017, arXiv:1707.01083, Section 3.2 and Fig. 2 b, c).

A bottleneck residual unit whose 1x1 convolutions are grouped: a grouped 1x1 conv (BN, ReLU) to the bottleneck
width, a channel shuffle (:mod:`.channel_shuffle`) so that the next grouped conv sees every group, a 3x3 depthwise
conv (BN, no ReLU: the paper finds a nonlinearity there hurts) and a grouped 1x1 conv (BN) back out. At stride 1 the
result is added to the identity; at stride 2 the depthwise conv strides, the shortcut is a 3x3 average pool of
stride 2 and the two are concatenated, so the unit widens to ``out_chs`` at little cost (its main branch makes only
``out_chs - in_chs`` channels). ReLU follows the add or the concatenation.

``first_groups`` is the first 1x1 conv's group count: the paper leaves Stage 2's first conv ungrouped because its
input (the stem's 24 channels) is narrow. The bottleneck width is given by the caller (the paper: a quarter of the
unit's output) and must be divisible by the groups, as must the main branch's output.

``attn`` is a module applied to the main branch's output before the add or the concatenation (SE-ShuffleNet's
squeeze-and-excite, as SENet places SE on a residual branch).
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation
from .channel_shuffle import ChannelShuffle
from .conv_norm_act import ConvNormAct


class ShuffleNetUnit(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, mid_chs: int, groups: int, stride: int = 1,
                 first_groups: int | None = None, bn_eps: float = 1e-5, attn: nn.Module | None = None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if stride == 1 and in_chs != out_chs:
            raise ValueError(f"a stride-1 ShuffleNet unit adds its input: in_chs {in_chs} must equal out_chs {out_chs}")
        if stride == 2 and out_chs <= in_chs:
            raise ValueError(f"a stride-2 ShuffleNet unit concatenates its input: out_chs {out_chs} must exceed "
                             f"in_chs {in_chs}")
        branch_chs = out_chs - in_chs if stride == 2 else out_chs
        for what, chs in (("bottleneck", mid_chs), ("main branch output", branch_chs)):
            if chs % groups:
                valid = [g for g in range(1, chs + 1) if chs % g == 0 and mid_chs % g == 0 and branch_chs % g == 0]
                raise ValueError(f"groups={groups} does not divide the ShuffleNet unit's {what} ({chs} channels; "
                                 f"bottleneck {mid_chs}, main branch output {branch_chs}); valid groups: "
                                 f"{', '.join(map(str, valid))}")
        self.gconv1 = ConvNormAct(in_chs, mid_chs, 1, groups=groups if first_groups is None else first_groups,
                                  bn_eps=bn_eps)
        self.shuffle = ChannelShuffle(groups, mid_chs) if groups > 1 else None
        self.dw = ConvNormAct(mid_chs, mid_chs, 3, stride, groups=mid_chs, act=None, bn_eps=bn_eps)
        self.gconv2 = ConvNormAct(mid_chs, branch_chs, 1, groups=groups, act=None, bn_eps=bn_eps)
        self.attn = attn
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else None
        self.act = make_activation("relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.gconv1(x)
        if self.shuffle is not None:
            out = self.shuffle(out)
        out = self.gconv2(self.dw(out))
        if self.attn is not None:
            out = self.attn(out)
        if self.shortcut is None:
            return self.act(x + out)
        return self.act(torch.cat((self.shortcut(x), out), dim=1))
