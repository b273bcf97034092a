"""Object detection on the lightnets backbones: SSDLite (MobileNetV2 and MobileNetV3 papers, Section 6.2).

``create_detection_model("ssdlite320_mobilenet_v3_large", num_classes=91)`` returns a model whose forward gives the
raw ``(cls_logits, bbox_regression)`` of its default boxes; ``model.postprocess`` makes detections of them and
``model.loss`` SSD's losses. The registry (:mod:`.registry`) needs no torch; the other names load on first use
(PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_getattr
from .registry import DETECTION_MODELS, create_detection_model, list_detection_models

__all__ = ["DETECTION_MODELS", "BoxCoder", "DefaultBoxes", "SSDLite", "SSDLiteHead", "create_detection_model",
           "list_detection_models"]

_LAZY = {"BoxCoder": ".box_coding", "DefaultBoxes": ".default_boxes", "SSDLite": ".model", "SSDLiteHead": ".heads"}

if TYPE_CHECKING:
    from .box_coding import BoxCoder
    from .default_boxes import DefaultBoxes
    from .heads import SSDLiteHead
    from .model import SSDLite


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
