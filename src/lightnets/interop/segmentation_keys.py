"""torchvision's segmentation checkpoints in lightnets segmentation models: the key of every tensor.

torchvision's ``deeplabv3_mobilenet_v3_large`` and ``lraspp_mobilenet_v3_large``
(torchvision/models/segmentation/deeplabv3.py, lraspp.py) keep the MobileNetV3 ``features`` as ``backbone.N``
(the same numbering as the classifier, :mod:`.torchvision_keys`: stem, blocks, final 1x1 conv) and name the head
``classifier``:

- DeepLabv3: ``classifier.0`` is ASPP, its branches ``convs.0`` (1x1), ``convs.1..R`` (atrous 3x3), ``convs.R+1``
  (image pooling: pool, conv ``.1``, BN ``.2``) and ``project``; then the 3x3 conv ``classifier.1`` with its BN
  ``classifier.2``, and the classifier ``classifier.4``.
- LR-ASPP: ``classifier.cbr`` (the 1x1 conv, BN), ``classifier.scale.1`` (the gate's conv after its pool),
  ``classifier.high_classifier`` and ``classifier.low_classifier``.

Only the models without the auxiliary head (``aux_loss=False``) are mapped.
"""

from __future__ import annotations

from typing import Mapping

import torch

from ..tasks.segmentation import create_segmentation_model
from ..tasks.segmentation.model import SegmentationModel
from .structure import convert_by_module_names, rename
from .torchvision_keys import CONV_BN, feature_names

SOURCES = ("deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large")  # torchvision's names, and ours


def module_names(model: SegmentationModel) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer of ``model`` with tensors."""
    name = model.config.get("name")
    if name not in SOURCES:
        raise ValueError(f"torchvision has no segmentation model for lightnets' {name!r}; mapped: {', '.join(SOURCES)}")
    names = {}
    for ours, theirs in feature_names(model.backbone, is_v3=True).items():
        names[ours if ours.startswith("final_conv") else f"backbone.{ours}"] = theirs.replace("features.", "backbone.")
    if name == "lraspp_mobilenet_v3_large":
        return names | rename("head.conv", "classifier.cbr", CONV_BN) | {
            "head.gate.conv": "classifier.scale.1", "head.high_classifier": "classifier.high_classifier",
            "head.low_classifier": "classifier.low_classifier"}
    aspp = model.head.aspp
    names |= rename("head.aspp.conv1x1", "classifier.0.convs.0", CONV_BN)
    for k in range(len(aspp.atrous)):
        names |= rename(f"head.aspp.atrous.{k}", f"classifier.0.convs.{k + 1}", CONV_BN)
    names |= rename("head.aspp.image_pooling.conv", f"classifier.0.convs.{len(aspp.atrous) + 1}",
                    {"conv": "1", "bn": "2"})
    names |= rename("head.aspp.project", "classifier.0.project", CONV_BN)
    names |= rename("head.conv3x3", "classifier", {"conv": "1", "bn": "2"})
    return names | {"head.classifier": "classifier.4"}


def convert_state_dict(state_dict: Mapping[str, torch.Tensor], model: SegmentationModel) -> dict[str, torch.Tensor]:
    """torchvision's state dict of the model ``model`` is (by its config's name) with lightnets keys, ready for
    ``model.load_state_dict``. A :class:`~lightnets.errors.CheckpointError` lists missing, unexpected and wrongly
    shaped keys (an aux head's keys, say, or another number of classes)."""
    return convert_by_module_names(state_dict, model, module_names(model),
                                   f"torchvision's {model.config['name']} as built ({model.num_classes} classes, "
                                   "no aux head)")


def load_torchvision_segmentation(state_dict: Mapping[str, torch.Tensor], name: str,
                                  num_classes: int = 21) -> SegmentationModel:
    """The lightnets model ``name`` with the tensors of torchvision's model of that name."""
    model = create_segmentation_model(name, num_classes=num_classes)
    model.load_state_dict(convert_state_dict(state_dict, model))
    return model
