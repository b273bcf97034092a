"""SSDLite's extra feature layers and prediction heads (MobileNetV2 paper, arXiv:1801.04381, Section 6.2: "we
replace all the regular convolutions with separable convolutions (depthwise followed by 1x1 projection) in SSD
prediction layers"), as torchvision's ``ssdlite.py`` builds them.

- :class:`ExtraBlock`: after the backbone's last map, each extra layer halves the resolution with a 1x1 conv to half
  its output width, a 3x3 depthwise conv of stride 2 and a 1x1 conv to its width, each with BN and ReLU6 (TF's
  ``SSDLite`` feature map generator; torchvision's ``_extra_block``).
- :class:`PredictionBlock`: a 3x3 depthwise conv with BN and ReLU6, then a 1x1 conv with bias to ``anchors x K``
  outputs (K = the classes, or the 4 box offsets).
- :class:`SSDLiteHead`: one prediction block per map for the class scores and one for the box offsets, their
  outputs laid out as ``(N, A, K)`` with the A anchors cell by cell, row-major, ``anchors`` per cell.

The convs of the extra layers and heads start from N(0, 0.03^2) weights and zero biases, torchvision's
``_normal_init`` (TF's truncated normal of stddev 0.03 for SSDLite).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ...layers import ConvNormAct

INIT_STD = 0.03


def normal_init(module: nn.Module) -> None:
    """torchvision's ``_normal_init``: every conv's weight N(0, 0.03^2), its bias 0."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=INIT_STD)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class ExtraBlock(nn.Sequential):
    """1x1 conv to ``out_chs // 2``, 3x3 depthwise stride 2, 1x1 conv to ``out_chs``; BN and ReLU6 after each."""

    def __init__(self, in_chs: int, out_chs: int, bn_eps: float = 1e-3):
        mid = out_chs // 2
        super().__init__()
        self.reduce = ConvNormAct(in_chs, mid, 1, act="relu6", bn_eps=bn_eps)
        self.dw = ConvNormAct(mid, mid, 3, 2, groups=mid, act="relu6", bn_eps=bn_eps)
        self.expand = ConvNormAct(mid, out_chs, 1, act="relu6", bn_eps=bn_eps)


class PredictionBlock(nn.Sequential):
    """3x3 depthwise conv (BN, ReLU6), then a 1x1 conv with bias to ``out_chs``."""

    def __init__(self, in_chs: int, out_chs: int, bn_eps: float = 1e-3):
        super().__init__()
        self.dw = ConvNormAct(in_chs, in_chs, 3, groups=in_chs, act="relu6", bn_eps=bn_eps)
        self.conv = nn.Conv2d(in_chs, out_chs, 1)


def _flatten(outputs: list[torch.Tensor], columns: int) -> torch.Tensor:
    """``(N, anchors * K, H, W)`` maps -> ``(N, sum of H * W * anchors, K)``, anchors innermost of each cell."""
    flat = []
    for x in outputs:
        n, _, h, w = x.shape
        flat.append(x.view(n, -1, columns, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, columns))
    return torch.cat(flat, dim=1)


class SSDLiteHead(nn.Module):
    """Class scores and box offsets for ``anchors[k]`` default boxes a cell of map k (``in_chs[k]`` channels)."""

    def __init__(self, in_chs: Sequence[int], anchors: Sequence[int], num_classes: int, bn_eps: float = 1e-3):
        super().__init__()
        self.num_classes = num_classes
        pairs = list(zip(in_chs, anchors))
        self.classification = nn.ModuleList(PredictionBlock(c, num_classes * a, bn_eps) for c, a in pairs)
        self.regression = nn.ModuleList(PredictionBlock(c, 4 * a, bn_eps) for c, a in pairs)
        normal_init(self)

    def forward(self, features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(cls_logits (N, A, num_classes), bbox_regression (N, A, 4))``."""
        cls_logits = _flatten([block(x) for block, x in zip(self.classification, features)], self.num_classes)
        bbox_regression = _flatten([block(x) for block, x in zip(self.regression, features)], 4)
        return cls_logits, bbox_regression
