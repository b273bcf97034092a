"""Segmentation models: a lightnets backbone, a dense head and bilinear upsampling to the input's size.

The backbone is a classification network's stem and stages (:class:`~lightnets.models.features.FeatureNet`), built
with ``output_stride`` 16 or 8 (:mod:`lightnets.models.output_stride`), and optionally its final 1x1 conv. The head
reads the high-level feature map (the last block's output, or the final conv's) and, for LR-ASPP, a low-level one;
its logits are upsampled bilinearly to the input, so ``forward`` returns one tensor ``(N, num_classes, H, W)``.

The builders are named and set up as torchvision's where torchvision has the model (MobileNetV3-Large backbones with
BatchNorm eps 1e-3 and output stride 16, the heads with PyTorch's BN and init); ``deeplabv3_mobilenet_v2`` is the
MobileNetV2 paper's Mobile DeepLabv3. No auxiliary head: torchvision's ``aux_loss=False``. ``deeplabv3`` and
``lraspp`` put the same heads on any registered classifier (``backbone=``), reading its stage outputs as
``features_only`` gives them: the last stage's, and for LR-ASPP the last stage at output stride 8.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ...models import FeatureNet, LightNet, model_builder
from ...models.base import feature_map
from ...models.tracing import is_tracing
from ..backbones import classifier_backbone, last_stage_at, reduced_tail_widths
from .aspp import DeepLabV3Head
from .lraspp import LRASPP

INPUT_SIZE = 512  # PASCAL VOC's images (MobileNetV2 paper, Table 7)
DEEPLABV3_RATES = (6, 12, 18)  # ASPP's rates at output stride 16; doubled at 8 (DeepLabv3 Sec. 3.3)
LOW_LEVEL_STRIDE = 8  # LR-ASPP's skip connection reads features at output stride 8 (MobileNetV3 paper Sec. 6.3)


class SegmentationModel(nn.Module):
    """``backbone`` (the stem and stages of ``classifier``), its ``final_conv`` when ``final_conv=True``, and
    ``head``, which takes the low-level map (when ``low_level`` = (stage, block) is given: the output of that
    block, or with block None of the whole stage) and the high-level map (the last stage's output, or the final
    conv's), and gives logits that ``forward`` upsamples to the input's size."""

    def __init__(self, classifier: LightNet, head: nn.Module, num_classes: int, *, final_conv: bool,
                 low_level: tuple[int, int | None] | None = None):
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
        """The maps the head reads: the low-level one (if the head reads one), then the high-level one. The stage
        holding a block-level tap runs block by block, because the low-level map torchvision's LR-ASPP reads is the
        output of a stage's first block; the other stages run whole, as in ``FeatureNet.forward``."""
        maps = []
        x = self.backbone.stem(x)
        tap_stage, tap_block = self.low_level if self.low_level is not None else (None, None)
        for i, stage in enumerate(self.backbone.stages):
            if i == tap_stage and tap_block is not None:
                for j, block in enumerate(stage):
                    x = block(x)
                    if j == tap_block:
                        maps.append(x)
                continue
            x = stage(x)
            if i == tap_stage:
                maps.append(feature_map(x))
        x = feature_map(x)
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


def _check_channels(channels: int) -> None:
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be an integer >= 1 (the filters of the LR-ASPP head), got {channels!r}")


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
    classifier = classifier_backbone("mobilenet_v3_large", in_chans=in_chans, width=width, output_stride=output_stride,
                                     backbone_kwargs={"bn_eps": 1e-3})
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
    _check_channels(channels)
    classifier = classifier_backbone("mobilenet_v3_large", in_chans=in_chans, width=width, output_stride=output_stride,
                                     backbone_kwargs={"bn_eps": 1e-3,
                                                      "widths": reduced_tail_widths(width) if reduced_tail else None})
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
    classifier = classifier_backbone("mobilenet_v2", in_chans=in_chans, width=width, output_stride=output_stride,
                                     backbone_kwargs={"bn_eps": 1e-5})
    rates = _deeplab_rates(output_stride) if aspp else ()
    head = DeepLabV3Head(classifier.feature_info[-1]["num_chs"], num_classes, rates, drop_rate=drop_rate)
    return SegmentationModel(classifier, head, num_classes, final_conv=False)


def _deeplab_rates(output_stride: int) -> tuple[int, ...]:
    """DeepLabv3's ASPP rates (6, 12, 18) at output stride 16, scaled to another stride (Sec. 3.3: doubled at 8)."""
    return tuple(max(1, r * 16 // output_stride) for r in DEEPLABV3_RATES)


@model_builder
def deeplabv3(
    *,
    backbone: str = "mobilenet_v1",
    num_classes: int = 21,
    in_chans: int = 3,
    width: float = 1.0,
    output_stride: int | None = None,
    backbone_kwargs: dict | None = None,
    drop_rate: float = 0.1,
) -> SegmentationModel:
    """DeepLabv3 (ASPP, the image pooling and the classifier) on any registered classifier: the head reads the
    last stage's output, at the backbone's own output stride (32 for the ImageNet networks) or, for MobileNetV2/V3,
    at ``output_stride`` 16 or 8; the ASPP rates are (6, 12, 18) scaled from output stride 16 to it."""
    check_num_classes(num_classes)
    classifier = classifier_backbone(backbone, in_chans=in_chans, width=width, output_stride=output_stride,
                                     backbone_kwargs=backbone_kwargs)
    high = classifier.feature_info[-1]
    head = DeepLabV3Head(high["num_chs"], num_classes, _deeplab_rates(high["reduction"]), drop_rate=drop_rate)
    return SegmentationModel(classifier, head, num_classes, final_conv=False)


@model_builder
def lraspp(
    *,
    backbone: str = "mobilenet_v1",
    num_classes: int = 21,
    in_chans: int = 3,
    width: float = 1.0,
    output_stride: int | None = None,
    backbone_kwargs: dict | None = None,
    channels: int = 128,
) -> SegmentationModel:
    """LR-ASPP on any registered classifier: the high-level features are the last stage's output, the low-level
    ones the output of the last stage at output stride 8 (``output_stride`` as in :func:`deeplabv3`)."""
    check_num_classes(num_classes)
    _check_channels(channels)
    classifier = classifier_backbone(backbone, in_chans=in_chans, width=width, output_stride=output_stride,
                                     backbone_kwargs=backbone_kwargs)
    low = last_stage_at(classifier, LOW_LEVEL_STRIDE, "LR-ASPP's low-level features")
    head = LRASPP(classifier.feature_info[low]["num_chs"], classifier.feature_info[-1]["num_chs"], num_classes,
                  channels)
    return SegmentationModel(classifier, head, num_classes, final_conv=False, low_level=(low, None))
