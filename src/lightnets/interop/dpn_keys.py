"""timm's module name for every layer of a lightnets DPN.

timm's ``DPN`` (timm/models/dpn.py, a port of the authors' MXNet models) keeps one flat
``features`` Sequential: ``conv1_1`` (stem ConvNormAct: ``conv``, ``bn``), then
``conv{i + 2}_{j + 1}`` for block j of stage i, and ``conv5_bn_ac.bn`` (the final BN-ReLU).
A ``DualPathBlock`` names its pre-activation units (each ``bn``, ``conv``) ``c1x1_w_s1`` or
``c1x1_w_s2`` (the projection, by its stride), ``c1x1_a``, ``c3x3_b`` and ``c1x1_c``; a "b"
block (DPN-68b) has only the BN in ``c1x1_c`` and the convs ``c1x1_c1`` (residual) and
``c1x1_c2`` (dense). The
classifier is a 1x1 conv on the pooled map, which lightnets holds as the Linear ``head.fc``.
"""

from __future__ import annotations

from ..models import LightNet
from .structure import blocks, rename

UNIT = {"bn": "bn", "conv": "conv"}
PARTS = {"reduce": "c1x1_a", "grouped": "c3x3_b", "expand": "c1x1_c"}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> timm module name, for every layer with tensors."""
    names = rename("stem.conv", "features.conv1_1", UNIT)
    for path, block in blocks(model):
        i, j = map(int, path.split(".")[1:])
        prefix = f"features.conv{i + 2}_{j + 1}"
        parts = dict(PARTS)
        if block.project is not None:
            parts["project"] = f"c1x1_w_s{block.project.conv.stride[0]}"
        for ours, theirs in parts.items():
            names |= rename(f"{path}.{ours}", f"{prefix}.{theirs}", UNIT)
        if block.expand_residual is not None:
            names |= {f"{path}.expand_residual": f"{prefix}.c1x1_c1", f"{path}.expand_dense": f"{prefix}.c1x1_c2"}
    names |= {"final_conv.bn": "features.conv5_bn_ac.bn", "head.fc": "classifier"}
    return names
