"""What the dense models take from the classifiers: any registered classifier as a backbone, the stage that reaches
an output stride, MobileNetV3's reduced tail, and a trained classifier's weights for the backbone.

``classifier_backbone("resnet18", ...)`` builds the classifier without its classifier layer (``num_classes=0``);
a segmentation or detection model keeps its stem and stages (``features_only``'s
:class:`~lightnets.models.features.FeatureNet`) and reads the stage outputs that ``feature_info`` describes. Only
MobileNetV2 and V3 dilate their last stages (``output_stride``); any other backbone runs at its own stride.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..interop.structure import convert_by_module_names
from ..models import LightNet, create_model, list_models
from ..models.mobilenet_v3 import LARGE
from ..models.registry import variant_names


def classifier_backbone(name: str, *, in_chans: int, width: float, output_stride: int | None,
                        backbone_kwargs: dict[str, Any] | None) -> LightNet:
    """The registered classifier ``name`` with ``num_classes=0``, built with ``width``, ``backbone_kwargs`` (its
    variant options) and ``output_stride`` (None: the backbone's own). Each mistake is a ValueError naming the
    value and what would do."""
    if not isinstance(name, str) or name not in list_models():
        from .dense import dense_task_of

        what = "a dense model, not a classifier" if isinstance(name, str) and dense_task_of(name) else "not registered"
        raise ValueError(f"backbone {name!r} is {what}; a backbone is a registered classifier (lightnets models)")
    if backbone_kwargs is not None and not isinstance(backbone_kwargs, dict):
        raise ValueError(f"backbone_kwargs must be a dict of {name}'s variant options, got {backbone_kwargs!r}")
    kwargs = dict(backbone_kwargs or {})
    for own in ("num_classes", "in_chans", "width", "output_stride", "features_only", "out_indices"):
        if own in kwargs:
            raise ValueError(f"backbone_kwargs must not hold {own!r}: the dense model sets it")
    if output_stride is not None:
        if "output_stride" not in variant_names(name):
            dilating = [m for m in list_models() if "output_stride" in variant_names(m)]
            raise ValueError(f"output_stride={output_stride!r}: {name} cannot dilate its last stages, so it runs at "
                             f"its own output stride (leave output_stride out); backbones that can: "
                             f"{', '.join(dilating)}")
        kwargs["output_stride"] = output_stride
    return create_model(name, num_classes=0, in_chans=in_chans, width=width, **kwargs)


def last_stage_at(classifier: LightNet, reduction: int, use: str) -> int:
    """The index of the last stage whose output is at ``reduction`` (its output stride); a ValueError naming the
    backbone's strides (and ``use``, what the map is for) when none is."""
    stages = [i for i, info in enumerate(classifier.feature_info) if info["reduction"] == reduction]
    if not stages:
        strides = ", ".join(str(info["reduction"]) for info in classifier.feature_info)
        raise ValueError(f"backbone {classifier.config.get('name')!r} has no stage at output stride {reduction} "
                         f"for {use} (its stages' strides: {strides})")
    return stages[-1]


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


def init_backbone(model: nn.Module, classifier: LightNet) -> str:
    """Copy ``classifier``'s stem and stages (and its final conv, where ``model`` reads it) into the dense
    ``model``'s backbone, whose keys are the classifier's under ``backbone.`` (``final_conv.`` as it is). A
    :class:`~lightnets.errors.CheckpointError` (:func:`~lightnets.interop.structure.convert_by_module_names`) lists
    the tensors the classifier lacks or holds at another shape (another width, or MobileNetV3's reduced tail); what
    was copied, said in one line."""
    read = nn.ModuleDict({"backbone": model.backbone})
    if model.final_conv is not None:
        read["final_conv"] = model.final_conv
    tops = {"stem", "stages", *(["final_conv"] if "final_conv" in read else [])}
    everything = classifier.state_dict()
    theirs = {key: tensor for key, tensor in everything.items() if key.split(".")[0] in tops}
    name = classifier.config.get("name")
    tail = ("; its last stage halved, reduced_tail=True: reduced_tail=false reads a classifier's full one"
            if model.config.get("reduced_tail") else "")
    names = {module: module.removeprefix("backbone.") for module, _ in read.named_modules()}
    read.load_state_dict(convert_by_module_names(theirs, read, names,
                                                 f"{model.config.get('name')}'s backbone (from the {name} "
                                                 f"classifier{tail})"))
    left = ", ".join(sorted({key.split(".")[0] for key in everything} - tops))
    return f"backbone: {len(theirs)} tensors of {name} copied" + (f" (not read: {left})" if left else "")
