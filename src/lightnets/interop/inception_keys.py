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
"""

from __future__ import annotations

from torch import nn

from ..layers import ConvNormAct
from ..models import LightNet
from ..models.googlenet import STAGES as GOOGLENET_STAGES
from ..models.googlenet import Inception

GOOGLENET_BRANCHES = ("branch1", "branch2.0", "branch2.1", "branch3.0", "branch3.1", "branch4.1")


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
