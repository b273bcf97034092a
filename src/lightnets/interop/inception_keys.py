"""torchvision's and timm's module names for every layer of a lightnets GoogLeNet and Inception network.

Both sources name their conv-BN units (``BasicConv2d`` / ``ConvNormAct``: ``conv`` and
``bn``) by role or position inside each Inception block, and the blocks by their place in
the network; lightnets builds every block from one table-driven
:class:`~lightnets.layers.InceptionModule`, whose conv units run branch by branch in the
source's concatenation order. So a rule is the source's list of conv-unit names in that
same forward order, zipped with lightnets' conv units; a unit without BN (Inception-ResNet's
linear 1x1 ``conv2d`` with bias) maps to the source's plain conv.

- torchvision ``googlenet`` (torchvision/models/googlenet.py): ``conv1`` .. ``conv3``,
  ``inception3a`` .. ``inception5b`` with ``branch1``, ``branch2.0/1``, ``branch3.0/1``,
  ``branch4.1`` (``branch4.0`` is the pool); aux heads ``aux1`` / ``aux2`` (``conv``,
  ``fc1``, ``fc2``); the classifier ``fc``.
- torchvision and timm ``inception_v3`` (torchvision/models/inception.py, timm/models/inception_v3.py,
  the same names): ``Conv2d_1a_3x3`` .. ``Conv2d_4a_3x3``, then each ``Mixed_*`` block's
  units by role (``branch1x1``, ``branch5x5_1``, ...; :data:`INCEPTION_V3_UNITS` per
  figure); the aux head ``AuxLogits`` (``conv0``, ``conv1``, ``fc``); the classifier ``fc``.
- timm ``inception_v4`` (timm/models/inception_v4.py): ``features.0`` .. ``features.21`` in
  forward order, branches ``branch0`` .. ``branch3`` (``nn.Sequential`` ones numbered inside,
  the pool at ``.0`` of a pool branch; Inception-C flat: ``branch1_0``, ``branch1_1a``, ...;
  the stem's concatenations ``conv``); the classifier ``last_linear``.
- timm ``inception_resnet_v2`` (timm/models/inception_resnet_v2.py): ``conv2d_1a`` ..
  ``conv2d_4a``, ``mixed_5b``, ``repeat.i`` / ``repeat_1.i`` / ``repeat_2.i`` / ``block8``
  with their linear 1x1 ``conv2d``, ``mixed_6a``, ``mixed_7a``, ``conv2d_7b``; the classifier
  ``classif``.
"""

from __future__ import annotations

from torch import nn

from ..layers import ConvNormAct
from ..models import LightNet
from ..models.googlenet import STAGES as GOOGLENET_STAGES
from ..models.googlenet import Inception
from ..models.inception_v3 import STAGES as INCEPTION_V3_STAGES
from ..models.inception_v3 import Mixed
from ..models.inception_v4 import IRV2_STAGES, V4_STAGES

GOOGLENET_BRANCHES = ("branch1", "branch2.0", "branch2.1", "branch3.0", "branch3.1", "branch4.1")

INCEPTION_V3_STEM = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3")
INCEPTION_V3_UNITS = {  # figure -> conv units in forward order (torchvision's InceptionA .. InceptionE)
    "5": ("branch1x1", "branch5x5_1", "branch5x5_2", "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3",
          "branch_pool"),
    "10_35": ("branch3x3", "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"),
    "6": ("branch1x1", "branch7x7_1", "branch7x7_2", "branch7x7_3", "branch7x7dbl_1", "branch7x7dbl_2",
          "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5", "branch_pool"),
    "10_17": ("branch3x3_1", "branch3x3_2", "branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"),
    "7": ("branch1x1", "branch3x3_1", "branch3x3_2a", "branch3x3_2b", "branch3x3dbl_1", "branch3x3dbl_2",
          "branch3x3dbl_3a", "branch3x3dbl_3b", "branch_pool"),
}

_A = ("branch0", "branch1.0", "branch1.1", "branch2.0", "branch2.1", "branch2.2")  # 1x1 | 1x1, 3x3 | 1x1, 3x3, 3x3
_REDUCTION_A = ("branch0", "branch1.0", "branch1.1", "branch1.2")
TIMM_UNITS = {  # figure (lightnets.models.inception_v4.FIGURES) -> timm's conv units in forward order
    "stem_3a": ("conv",),
    "stem_4a": ("branch0.0", "branch0.1", "branch1.0", "branch1.1", "branch1.2", "branch1.3"),
    "stem_5a": ("conv",),
    "a": (*_A, "branch3.1"),
    "reduction_a": _REDUCTION_A,
    "b": ("branch0", "branch1.0", "branch1.1", "branch1.2", "branch2.0", "branch2.1", "branch2.2", "branch2.3",
          "branch2.4", "branch3.1"),
    "reduction_b": ("branch0.0", "branch0.1", "branch1.0", "branch1.1", "branch1.2", "branch1.3"),
    "c": ("branch0", "branch1_0", "branch1_1a", "branch1_1b", "branch2_0", "branch2_1", "branch2_2", "branch2_3a",
          "branch2_3b", "branch3.1"),
    "mixed_5b": (*_A, "branch3.1"),
    "resnet_a": (*_A, "conv2d"),
    "resnet_reduction_a": _REDUCTION_A,
    "resnet_b": ("branch0", "branch1.0", "branch1.1", "branch1.2", "conv2d"),
    "resnet_reduction_b": ("branch0.0", "branch0.1", "branch1.0", "branch1.1", "branch2.0", "branch2.1", "branch2.2"),
    "resnet_c": ("branch0", "branch1.0", "branch1.1", "branch1.2", "conv2d"),
}


def conv_units(module: nn.Module, prefix: str) -> list[tuple[str, ConvNormAct]]:
    """Every ConvNormAct under ``module`` in forward order, with its lightnets path."""
    return [(f"{prefix}.{name}" if name else prefix, m) for name, m in module.named_modules()
            if isinstance(m, ConvNormAct)]


def body_units(model: LightNet) -> list[tuple[str, ConvNormAct]]:
    """The conv units of the stem, the stages and the final conv (not the heads), in forward order."""
    units = conv_units(model.stem, "stem") + conv_units(model.stages, "stages")
    return units + (conv_units(model.final_conv, "final_conv") if model.final_conv is not None else [])


def zip_units(units: list[tuple[str, ConvNormAct]], source_names: list[str]) -> dict[str, str]:
    """lightnets -> source module names for conv units paired in order: ``conv`` / ``bn``
    under a conv-BN unit's source name, or the source name itself for a conv without BN."""
    names = {}
    for (path, unit), source in zip(units, source_names, strict=True):
        if hasattr(unit, "bn"):
            names |= {f"{path}.conv": f"{source}.conv", f"{path}.bn": f"{source}.bn"}
        else:
            names[f"{path}.conv"] = source
    return names


def googlenet_torchvision(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision ``googlenet`` module name."""
    rows = [row.name for stage in GOOGLENET_STAGES for row in stage if isinstance(row, Inception)]
    source = ["conv1", "conv2", "conv3"] + [f"inception{row}.{b}" for row in rows for b in GOOGLENET_BRANCHES]
    names = zip_units(body_units(model), source)
    for k, _ in enumerate(model.aux_heads or ()):
        aux = f"aux{k + 1}"
        names |= zip_units(conv_units(model.aux_heads[k].convs, f"aux_heads.{k}.convs"), [f"{aux}.conv"])
        names |= {f"aux_heads.{k}.classifier.hidden.0.fc": f"{aux}.fc1", f"aux_heads.{k}.classifier.fc": f"{aux}.fc2"}
    names["head.fc"] = "fc"
    return names


def inception_v3(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision / timm ``inception_v3`` module name."""
    rows = [row for stage in INCEPTION_V3_STAGES for row in stage if isinstance(row, Mixed)]
    source = [*INCEPTION_V3_STEM, *(f"{row.name}.{unit}" for row in rows for unit in INCEPTION_V3_UNITS[row.figure])]
    names = zip_units(body_units(model), source)
    if model.aux_heads is not None:
        names |= zip_units(conv_units(model.aux_heads[0].convs, "aux_heads.0.convs"),
                           ["AuxLogits.conv0", "AuxLogits.conv1"])
        names["aux_heads.0.classifier.fc"] = "AuxLogits.fc"
    names["head.fc"] = "fc"
    return names


def _timm_blocks(stages: tuple, prefix: str) -> list[str]:
    rows = [row for stage in stages for row in stage if isinstance(row, Mixed)]
    return [f"{prefix}{row.name}.{unit}" for row in rows for unit in TIMM_UNITS[row.figure]]


def inception_v4_timm(model: LightNet) -> dict[str, str]:
    """lightnets module name -> timm ``inception_v4`` module name."""
    names = zip_units(body_units(model), ["features.0", "features.1", "features.2",
                                          *_timm_blocks(V4_STAGES, "features.")])
    return names | {"head.fc": "last_linear"}


def inception_resnet_v2_timm(model: LightNet) -> dict[str, str]:
    """lightnets module name -> timm ``inception_resnet_v2`` module name."""
    stem = ["conv2d_1a", "conv2d_2a", "conv2d_2b", "conv2d_3b", "conv2d_4a"]
    names = zip_units(body_units(model), [*stem, *_timm_blocks(IRV2_STAGES, ""), "conv2d_7b"])
    return names | {"head.fc": "classif"}
