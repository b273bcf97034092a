"""torchvision's ``ssdlite320_mobilenet_v3_large`` checkpoints in lightnets SSDLite models: the key of every tensor.

torchvision (torchvision/models/detection/ssdlite.py) splits the MobileNetV3 ``features`` at the C4 block c (the
first stride-32 block, ``features.13`` of MobileNetV3-Large): ``backbone.features.0`` holds ``features.0..c-1`` as
its children ``0..c-1`` and block c's expansion conv as child ``c``; ``backbone.features.1`` holds the rest of block
c (depthwise, SE, projection) as child ``0.1..0.3`` (a slice of its ``block``, which keeps the indices) and
``features.c+1..`` (the final 1x1 conv included) as children ``1..``. The extra layers are
``backbone.extra.K.{0,1,2}`` (conv ``.0``, BN ``.1`` each), the heads ``head.classification_head.module_list.K`` and
``head.regression_head.module_list.K`` (depthwise conv ``.0.0``, its BN ``.0.1``, the 1x1 conv ``.1``).
"""

from __future__ import annotations

import re
from typing import Mapping

import torch

from ..tasks.detection import create_detection_model
from ..tasks.detection.model import SSDLite
from .structure import convert_by_module_names, rename
from .torchvision_keys import CONV_BN, feature_names

SOURCES = ("ssdlite320_mobilenet_v3_large",)  # torchvision's names, and ours
FEATURE = re.compile(r"features\.(\d+)\.(.*)")
HEAD = {"dw.conv": "0.0", "dw.bn": "0.1", "conv": "1"}


def _split_at_c4(theirs: str, c4: int) -> str:
    """A classifier ``features.N.*`` name as it is in torchvision's split SSDLite backbone."""
    n, rest = FEATURE.fullmatch(theirs).groups()
    n = int(n)
    if n < c4:
        return f"backbone.features.0.{n}.{rest}"
    if n > c4:
        return f"backbone.features.1.{n - c4}.{rest}"
    part, _, leaf = rest.removeprefix("block.").partition(".")
    return f"backbone.features.0.{c4}.{leaf}" if part == "0" else f"backbone.features.1.0.{part}.{leaf}"


def module_names(model: SSDLite) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer of ``model`` with tensors."""
    name = model.config.get("name")
    if name not in SOURCES:
        raise ValueError(f"torchvision has no detection model for lightnets' {name!r}; mapped: {', '.join(SOURCES)}")
    backbone = feature_names(model.backbone, is_v3=True)
    stage, block = model.tap
    c4 = int(FEATURE.fullmatch(backbone[f"stages.{stage}.{block}.expand.conv"]).group(1))
    names = {ours if ours.startswith("final_conv") else f"backbone.{ours}": _split_at_c4(theirs, c4)
             for ours, theirs in backbone.items()}
    for k in range(len(model.extras)):
        for i, part in enumerate(("reduce", "dw", "expand")):
            names |= rename(f"extras.{k}.{part}", f"backbone.extra.{k}.{i}", CONV_BN)
    for k in range(len(model.head.classification)):
        names |= rename(f"head.classification.{k}", f"head.classification_head.module_list.{k}", HEAD)
        names |= rename(f"head.regression.{k}", f"head.regression_head.module_list.{k}", HEAD)
    return names


def convert_state_dict(state_dict: Mapping[str, torch.Tensor], model: SSDLite) -> dict[str, torch.Tensor]:
    """torchvision's state dict of the model ``model`` is (by its config's name) with lightnets keys, ready for
    ``model.load_state_dict``. A :class:`~lightnets.errors.CheckpointError` lists missing, unexpected and wrongly
    shaped keys (another number of classes, say, or a backbone without the reduced tail)."""
    return convert_by_module_names(state_dict, model, module_names(model),
                                   f"torchvision's {model.config['name']} as built ({model.num_classes} classes, "
                                   f"reduced_tail={model.config['reduced_tail']})")


def load_torchvision_detection(state_dict: Mapping[str, torch.Tensor], name: str = "ssdlite320_mobilenet_v3_large",
                               num_classes: int = 91, reduced_tail: bool = True) -> SSDLite:
    """The lightnets model ``name`` with the tensors of torchvision's model of that name."""
    model = create_detection_model(name, num_classes=num_classes, reduced_tail=reduced_tail)
    model.load_state_dict(convert_state_dict(state_dict, model))
    return model
