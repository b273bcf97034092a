"""Semantic segmentation on the lightnets backbones: DeepLabv3's ASPP and MobileNetV3's LR-ASPP heads.

``create_segmentation_model("lraspp_mobilenet_v3_large", num_classes=19)`` returns a model whose forward gives
one tensor of per-pixel class scores, ``(N, num_classes, H, W)`` at the input's size. The registry
(:mod:`.registry`) needs no torch; the other names load on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_getattr
from .registry import SEGMENTATION_MODELS, create_segmentation_model, list_segmentation_models

__all__ = ["ASPP", "LRASPP", "SEGMENTATION_MODELS", "ConfusionMatrix", "DeepLabV3Head", "SegmentationModel",
           "create_segmentation_model", "list_segmentation_models"]

_LAZY = {"ASPP": ".aspp", "ConfusionMatrix": ".metrics", "DeepLabV3Head": ".aspp", "LRASPP": ".lraspp",
         "SegmentationModel": ".model"}

if TYPE_CHECKING:
    from .aspp import ASPP, DeepLabV3Head
    from .lraspp import LRASPP
    from .metrics import ConfusionMatrix
    from .model import SegmentationModel


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
