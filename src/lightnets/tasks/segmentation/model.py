"""Segmentation models: a lightnets backbone, a dense head and bilinear upsampling to the input's size.

The backbone is a classification network's stem and stages (:class:`~lightnets.models.features.FeatureNet`), built
with ``output_stride`` 16 or 8 (:mod:`lightnets.models.output_stride`), and optionally its final 1x1 conv. The head
reads the high-level feature map (the last block's output, or the final conv's) and, for LR-ASPP, a low-level one;
its logits are upsampled bilinearly to the input, so ``forward`` returns one tensor ``(N, num_classes, H, W)``.

The builders are named and set up as torchvision's where torchvision has the model (MobileNetV3-Large backbones with
BatchNorm eps 1e-3 and output stride 16, the heads with PyTorch's BN and init); ``deeplabv3_mobilenet_v2`` is the
MobileNetV2 paper's Mobile DeepLabv3. No auxiliary head: torchvision's ``aux_loss=False``.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ...models import FeatureNet, LightNet, create_model, model_builder
from ...models.mobilenet_v3 import LARGE
from ...models.tracing import is_tracing
from .aspp import DeepLabV3Head
from .lraspp import LRASPP

INPUT_SIZE = 512  # PASCAL VOC's images (MobileNetV2 paper, Table 7)
DEEPLABV3_RATES = (6, 12, 18)  # ASPP's rates at output stride 16; doubled at 8 (DeepLabv3 Sec. 3.3)
LOW_LEVEL_STRIDE = 8  # LR-ASPP's skip connection reads features at output stride 8 (MobileNetV3 paper Sec. 6.3)


class SegmentationModel(nn.Module):
    """``backbone`` (the stem and stages of ``classifier``), its ``final_conv`` when ``final_conv=True``, and
    ``head``, which takes the low-level map (the output of block ``low_level`` = (stage, block), when given) and the
    high-level map, and gives logits that ``forward`` upsamples to the input's size."""

    def __init__(self, classifier: LightNet, head: nn.Module, num_classes: int, *, final_conv: bool,
                 low_level: tuple[int, int] | None = None):
        super().__init__()
        self.backbone = FeatureNet(classifier)
        self.final_conv = classifier.final_conv if final_conv else None
        self.head = head
        self.low_level = low_level
        self.num_classes = num_classes
        self.in_chans = classifier.in_chans
        self.output_stride = self.backbone.total_stride
        self.min_input = self.backbone.min_input
        self.default_cfg = {**classifier.default_cfg, "input_size": (self.in_chans, INPUT_SIZE, INPUT_SIZE),
                            "crop_pct": 1.0, "num_classes": num_classes}
        self.config: dict[str, Any] = {}  # the builder's name and arguments (model_builder)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a clear error for an input the backbone cannot take (smaller than its output stride)."""
        self.backbone.check_input(x)

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The maps the head reads: the low-level one (if the head reads one), then the high-level one. The backbone
        runs block by block rather than through ``FeatureNet.forward`` (which gives stage outputs), because the
        low-level map torchvision's LR-ASPP reads is the output of a stage's first block."""
        maps = []
        x = self.backbone.stem(x)
        for i, stage in enumerate(self.backbone.stages):
            for j, block in enumerate(stage):
                x = block(x)
                if (i, j) == self.low_level:
                    maps.append(x)
        return [*maps, x if self.final_conv is None else self.final_conv(x)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not is_tracing():
            self.check_input(x)
        logits = self.head(*self.forward_features(x))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


def check_num_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be an integer >= 1 (the classes each pixel is scored for; PASCAL VOC: "
                         f"21, Cityscapes: 19), got {num_classes!r}")
    return num_classes


def reduced_tail_widths(width: float) -> dict:
    """MobileNetV3-Large's widths (:mod:`lightnets.models.widths`) with the paper's RF2 ("Reduce the Filters in the
    last block by a factor of 2", Section 6.3; torchvision's ``reduced_tail``): the last stage's outputs, the
    expansions of its bnecks after the first (the first expands its 112-channel input) and the final 1x1 conv
    halved."""
    with torch.device("meta"):
        widths = create_model("mobilenet_v3_large", width=width).widths
    tail = len(LARGE.stages[-1])
    out, expand = list(widths["out"]), list(widths["expand"])
    out[-tail:] = [c // 2 for c in out[-tail:]]
    expand[-tail + 1:] = [c // 2 for c in expand[-tail + 1:]]
    return {**widths, "out": out, "expand": expand, "last": widths["last"] // 2}


def _backbone(name: str, in_chans: int, width: float, output_stride: int, bn_eps: float,
              widths: dict | None = None) -> LightNet:
    """The classification network whose stem, stages and final conv a segmentation model takes (its classifier is
    left out)."""
    return create_model(name, num_classes=0, in_chans=in_chans, width=width, output_stride=output_stride,
                        bn_eps=bn_eps, widths=widths)


def _low_level(classifier: LightNet) -> tuple[int, int]:
    """The first block at output stride 8, whose output LR-ASPP's skip connection classifies: torchvision's "C2"
    (the output of the stride-2 block that reaches stride 8, not of the stage it opens)."""
    stage = next(i for i, info in enumerate(classifier.feature_info) if info["reduction"] == LOW_LEVEL_STRIDE)
    return stage, 0


@model_builder
def deeplabv3_mobilenet_v3_large(
    *,
    num_classes: int = 21,
    in_chans: int = 3,
    width: float = 1.0,
    output_stride: int = 16,
    atrous_rates: Sequence[int] = (12, 24, 36),
    drop_rate: float = 0.5,
    conv3x3: bool = True,
) -> SegmentationModel:
    """DeepLabv3 on MobileNetV3-Large as torchvision builds it: the head on the final 1x1 conv's 960 channels at
    output stride 16, ASPP at rates (12, 24, 36) (the paper's rates for output stride 8) with dropout 0.5, and a
    3x3 conv between ASPP and the classifier (``conv3x3``)."""
    check_num_classes(num_classes)
    classifier = _backbone("mobilenet_v3_large", in_chans, width, output_stride, 1e-3)
    head = DeepLabV3Head(classifier.final_conv.conv.out_channels, num_classes, atrous_rates, drop_rate=drop_rate,
                         conv3x3=conv3x3)
    return SegmentationModel(classifier, head, num_classes, final_conv=True)


@model_builder
def lraspp_mobilenet_v3_large(
    *,
    num_classes: int = 21,
    in_chans: int = 3,
    width: float = 1.0,
    output_stride: int = 16,
    channels: int = 128,
    reduced_tail: bool = False,
) -> SegmentationModel:
    """LR-ASPP on MobileNetV3-Large (paper Section 6.3): the high-level features are the final 1x1 conv's at output
    stride 16 (the last stage dilated; 32 leaves it as in classification, the paper's Table 8), the low-level ones
    the first block's at stride 8, ``channels`` the head's filters F (the paper's candidates: 128).
    ``reduced_tail`` is the paper's RF2 (:func:`reduced_tail_widths`); torchvision's model has the full tail."""
    check_num_classes(num_classes)
    if not isinstance(reduced_tail, bool):
        raise ValueError(f"reduced_tail must be True or False, got {reduced_tail!r}")
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be an integer >= 1 (the filters of the LR-ASPP head), got {channels!r}")
    classifier = _backbone("mobilenet_v3_large", in_chans, width, output_stride, 1e-3,
                           reduced_tail_widths(width) if reduced_tail else None)
    low = _low_level(classifier)
    low_chs = classifier.stages[low[0]][low[1]].project.conv.out_channels
    head = LRASPP(low_chs, classifier.final_conv.conv.out_channels, num_classes, channels)
    return SegmentationModel(classifier, head, num_classes, final_conv=True, low_level=low)


@model_builder
def deeplabv3_mobilenet_v2(
    *,
    num_classes: int = 21,
    in_chans: int = 3,
    width: float = 1.0,
    output_stride: int = 16,
    aspp: bool = True,
    drop_rate: float = 0.1,
) -> SegmentationModel:
    """Mobile DeepLabv3, the MobileNetV2 paper's "MNet V2*" (Section 6.3, Table 7): the DeepLabv3 head on the
    second last feature map (the last bottleneck's 320 channels, not the 1280 of the final 1x1 conv), at output
    stride 16 or 8. ``aspp=True``: ASPP's three atrous 3x3 branches at rates (6, 12, 18) x 16 / output_stride
    beside the 1x1 conv and the image pooling; ``aspp=False`` keeps only those two. Dropout after the projection is
    DeepLab's TF reference's (keep probability 0.9)."""
    check_num_classes(num_classes)
    if output_stride not in (8, 16) or isinstance(output_stride, bool):
        raise ValueError(f"output_stride must be 8 or 16 for Mobile DeepLabv3 (MobileNetV2 paper, Table 7), "
                         f"got {output_stride!r}")
    if not isinstance(aspp, bool):
        raise ValueError(f"aspp must be True or False, got {aspp!r}")
    classifier = _backbone("mobilenet_v2", in_chans, width, output_stride, 1e-5)
    rates = tuple(r * 16 // output_stride for r in DEEPLABV3_RATES) if aspp else ()
    head = DeepLabV3Head(classifier.feature_info[-1]["num_chs"], num_classes, rates, drop_rate=drop_rate)
    return SegmentationModel(classifier, head, num_classes, final_conv=False)
