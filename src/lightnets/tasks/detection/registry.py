"""The detection models by name, without importing torch: ``list_detection_models`` reads plain data, and
``create_detection_model`` imports the builders (:mod:`.model`) only when it builds one.

Names are torchvision's where torchvision has the model (``ssdlite320_mobilenet_v3_large``). A model's ``config`` is
its name and every builder argument, so ``create_detection_model(**model.config)`` rebuilds it (a checkpoint stores
that config).
"""

from __future__ import annotations

import fnmatch
from typing import Any

# name -> the paper it follows; each name is a builder of .model
DETECTION_MODELS = {
    "ssdlite320_mobilenet_v3_large": "SSDLite, MobileNetV3 arXiv:1905.02244 Section 6.2 (torchvision's)",
    "ssdlite_mobilenet_v2": "SSDLite, MobileNetV2 arXiv:1801.04381 Section 6.2 (Table 6)",
    "ssdlite": "SSDLite, MobileNetV2 arXiv:1801.04381 Section 6.2, on any registered classifier's stage outputs",
}


def list_detection_models(pattern: str = "*") -> list[str]:
    """Registered detection model names matching a shell-style ``pattern``, sorted."""
    return sorted(name for name in DETECTION_MODELS if fnmatch.fnmatch(name, pattern))


def create_detection_model(name: str, **kwargs: Any):
    """Build the detection model ``name`` with its builder's keyword arguments (:mod:`.model`)."""
    from ..dense import DENSE_TASKS

    return DENSE_TASKS["detection"].create_model(name, **kwargs)
