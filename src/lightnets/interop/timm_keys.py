"""timm's module name for every layer of a lightnets MobileNetV1 / V2 / V3, MnasNet, EfficientNet and MixNet.

timm builds these from an ``arch_def`` (timm/models/efficientnet.py, mobilenetv3.py):
``blocks.i`` is one stage of it and ``blocks.i.j`` the j-th block, so the i/j split follows
timm's stages, which need not match lightnets' MobileNet stages (MobileNetV3-Small's 40- and
48-channel rows are one lightnets stage); the searched networks' stages are timm's. Block n in forward order is
block n in both. A MixConv's kernel groups are ``0``, ``1``, ... in both.

Inside a block timm names layers by role:

- InvertedResidual: ``conv_pw``/``bn1`` expand, ``conv_dw``/``bn2`` depthwise,
  ``se.conv_reduce``/``se.conv_expand``, ``conv_pwl``/``bn3`` project.
- DepthwiseSeparableConv ("ds"/"dsa": the first MobileNetV2/V3 block and every V1
  block): ``conv_dw``/``bn1``, [SE], ``conv_pw``/``bn2``. In lightnets that is an
  InvertedResidual without expansion (dw, project) or a DepthwiseSeparableConv (dw, pw).

Around the blocks, ``conv_stem``/``bn1`` is the stem and ``classifier`` the last Linear.
The two timm classes end differently: ``EfficientNet`` (V1, V2) has ``conv_head``/``bn2``
as the final 1x1 conv (V1 has none); ``MobileNetV3`` keeps that conv as a last one-block
row ``blocks.S.0`` (``conv``/``bn1``) and its ``conv_head`` is the 1x1 conv with bias after
pooling, which lightnets holds as the Linear ``head.hidden``.
"""

from __future__ import annotations

from ..models import LightNet
from .structure import blocks, parts, rename, with_mixconv_groups

# Repeats per arch_def row, excluding MobileNetV3's final "cn" row.
STAGE_DEPTHS = {
    "mobilenet_v1": (1, 2, 2, 6, 2),
    "mobilenet_v2": (1, 2, 3, 4, 3, 3, 1),
    "mobilenet_v3_large": (1, 2, 3, 4, 2, 3),
    "mobilenet_v3_small": (1, 2, 3, 2, 3),
}

INVERTED_RESIDUAL = {
    "expand.conv": "conv_pw", "expand.bn": "bn1",
    "dw.conv": "conv_dw", "dw.bn": "bn2",
    "se.fc1": "se.conv_reduce", "se.fc2": "se.conv_expand",
    "project.conv": "conv_pwl", "project.bn": "bn3",
}
DEPTHWISE_SEPARABLE = {
    "dw.conv": "conv_dw", "dw.bn": "bn1",
    "se.fc1": "se.conv_reduce", "se.fc2": "se.conv_expand",
    "project.conv": "conv_pw", "project.bn": "bn2",  # lightnets InvertedResidual without expansion
    "pw.conv": "conv_pw", "pw.bn": "bn2",  # lightnets DepthwiseSeparableConv
}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> timm module name, for every layer with tensors."""
    depths = STAGE_DEPTHS.get(model.config["name"].removesuffix("_minimal")) or tuple(map(len, model.stages))
    positions = [f"blocks.{i}.{j}" for i, depth in enumerate(depths) for j in range(depth)]
    names = {"stem.conv": "conv_stem", "stem.bn": "bn1"}
    for (path, block), position in zip(blocks(model), positions, strict=True):
        table = INVERTED_RESIDUAL if "expand" in parts(block) else DEPTHWISE_SEPARABLE
        names |= rename(path, position, table)
    if model.head.hidden is not None:
        last_row = f"blocks.{len(depths)}.0"
        names |= {
            "final_conv.conv": f"{last_row}.conv", "final_conv.bn": f"{last_row}.bn1", "head.hidden": "conv_head",
        }
    else:
        names |= {"final_conv.conv": "conv_head", "final_conv.bn": "bn2"}
    names["head.fc"] = "classifier"
    return with_mixconv_groups(model, names)
