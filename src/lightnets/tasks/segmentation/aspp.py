"""Atrous Spatial Pyramid Pooling and the DeepLabv3 head built on it (Chen et al. 2017, arXiv:1706.05587, Sec. 3.3).

ASPP looks at the backbone's last feature map through parallel branches: one 1x1 conv, one 3x3 conv per atrous
rate (each sees context at another scale without more parameters) and the image-level features (global average
pooling, a 1x1 conv, upsampled back to the map's size), all with 256 filters and BatchNorm. Their concatenation goes
through a 1x1 projection (256 filters, BN) before the final 1x1 conv that gives the logits.

Mobile DeepLabv3 (MobileNetV2 paper, arXiv:1801.04381, Section 6.3) drops the atrous branches ("without ASPP"):
the head keeps the 1x1 conv and the image-level features, which is an ASPP with no rates here.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ...layers import ConvNormAct


class ImagePooling(nn.Module):
    """ASPP's image-level features: global average pooling, a 1x1 conv with BN and ReLU, and bilinear upsampling
    back to the input map's size (of a 1x1 map: every position gets the pooled features)."""

    def __init__(self, in_chs: int, out_chs: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv = ConvNormAct(in_chs, out_chs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.conv(self.pool(x)), size=x.shape[-2:], mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """The branches (1x1 conv, a 3x3 conv at each of ``atrous_rates``, image pooling), concatenated in that order
    and projected to ``out_chs`` by a 1x1 conv with BN and ReLU, then dropout (``drop_rate``, training only).
    An empty ``atrous_rates`` is the head "without ASPP" of Mobile DeepLabv3."""

    def __init__(self, in_chs: int, atrous_rates: Sequence[int], out_chs: int = 256, drop_rate: float = 0.5):
        super().__init__()
        rates = tuple(atrous_rates)
        if any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in rates):
            raise ValueError(f"atrous_rates must be integers >= 1 (the dilations of ASPP's 3x3 branches), "
                             f"got {atrous_rates!r}")
        if isinstance(drop_rate, bool) or not isinstance(drop_rate, (int, float)) or not 0 <= drop_rate < 1:
            raise ValueError(f"drop_rate must be a probability in [0, 1), got {drop_rate!r}")
        self.atrous_rates = rates
        self.conv1x1 = ConvNormAct(in_chs, out_chs, 1)
        self.atrous = nn.ModuleList(ConvNormAct(in_chs, out_chs, 3, dilation=r) for r in rates)
        self.image_pooling = ImagePooling(in_chs, out_chs)
        self.project = ConvNormAct((len(rates) + 2) * out_chs, out_chs, 1)
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.conv1x1(x), *(conv(x) for conv in self.atrous), self.image_pooling(x)]
        return self.dropout(self.project(torch.cat(branches, dim=1)))


class DeepLabV3Head(nn.Module):
    """ASPP on the high-level features, then the 1x1 classifier (with bias) into ``num_classes`` logits at the
    feature map's resolution. ``conv3x3=True`` adds a 3x3 conv with BN and ReLU between them, as torchvision's
    DeepLabHead has (the paper goes from the projection to the logits directly)."""

    def __init__(self, in_chs: int, num_classes: int, atrous_rates: Sequence[int], *, channels: int = 256,
                 drop_rate: float = 0.5, conv3x3: bool = False):
        super().__init__()
        self.aspp = ASPP(in_chs, atrous_rates, channels, drop_rate)
        self.conv3x3 = ConvNormAct(channels, channels, 3) if conv3x3 else None
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, high: torch.Tensor) -> torch.Tensor:
        x = self.aspp(high)
        return self.classifier(x if self.conv3x3 is None else self.conv3x3(x))
