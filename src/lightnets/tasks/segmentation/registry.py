"""The segmentation models by name, without importing torch: ``list_segmentation_models`` reads plain data, and
``create_segmentation_model`` imports the builders (:mod:`.model`) only when it builds one.

Names are torchvision's where torchvision has the model (``deeplabv3_mobilenet_v3_large``,
``lraspp_mobilenet_v3_large``). A model's ``config`` is its name and every builder argument, so
``create_segmentation_model(**model.config)`` rebuilds it (a checkpoint stores that config).
"""

from __future__ import annotations

import fnmatch
from typing import Any

# name -> the paper it follows; each name is a builder of .model
SEGMENTATION_MODELS = {
    "deeplabv3_mobilenet_v2": "Mobile DeepLabv3, MobileNetV2 arXiv:1801.04381 Section 6.3 (Table 7: MNet V2*)",
    "deeplabv3_mobilenet_v3_large": "DeepLabv3 arXiv:1706.05587 on MobileNetV3-Large (torchvision's)",
    "lraspp_mobilenet_v3_large": "LR-ASPP, MobileNetV3 arXiv:1905.02244 Section 6.3 (torchvision's)",
    "deeplabv3": "DeepLabv3 arXiv:1706.05587 on any registered classifier's stage outputs (backbone=)",
    "lraspp": "LR-ASPP, MobileNetV3 arXiv:1905.02244 Section 6.3, on any registered classifier's stage outputs",
}


def list_segmentation_models(pattern: str = "*") -> list[str]:
    """Registered segmentation model names matching a shell-style ``pattern``, sorted."""
    return sorted(name for name in SEGMENTATION_MODELS if fnmatch.fnmatch(name, pattern))


def create_segmentation_model(name: str, **kwargs: Any):
    """Build the segmentation model ``name`` with its builder's keyword arguments (:mod:`.model`)."""
    from ..dense import DENSE_TASKS

    return DENSE_TASKS["segmentation"].create_model(name, **kwargs)
