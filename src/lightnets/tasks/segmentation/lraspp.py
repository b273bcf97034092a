"""Lite Reduced Atrous Spatial Pyramid Pooling, the segmentation head of MobileNetV3 (Howard et al. 2019,
arXiv:1905.02244, Section 6.3, Figure 10).

R-ASPP keeps only two of ASPP's branches (a 1x1 conv and the image pooling); LR-ASPP makes the pooling branch a
gate, in the manner of squeeze-and-excite: the high-level features (output stride 16) go through one 1x1 conv with
BN and ReLU, times a sigmoid gate computed from their average pool by a 1x1 conv. The gated features are upsampled
to the low-level features' resolution (output stride 8) and classified by a 1x1 conv; a skip connection classifies
the low-level features by another 1x1 conv, and the two sets of logits are added.

The paper pools with a large kernel and stride (49x49, stride (16, 20), for its 1024x2048 Cityscapes inputs);
this pool is global, as in torchvision, so the head fits any input size.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...layers import ConvNormAct


class LRASPP(nn.Module):
    """LR-ASPP from ``low_chs`` low-level and ``high_chs`` high-level channels to ``num_classes`` logits at the
    low-level features' resolution; ``channels`` is the paper's F, the filters of the head (128 or 256)."""

    def __init__(self, low_chs: int, high_chs: int, num_classes: int, channels: int = 128):
        super().__init__()
        self.conv = ConvNormAct(high_chs, channels, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.gate = ConvNormAct(high_chs, channels, 1, act="sigmoid", norm=False, bias=False)
        self.high_classifier = nn.Conv2d(channels, num_classes, 1)
        self.low_classifier = nn.Conv2d(low_chs, num_classes, 1)

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        x = self.conv(high) * self.gate(self.pool(high))
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)
