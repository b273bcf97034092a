"""A lightnets model's blocks and their sub-layers in forward order, as the key rules walk them.

Both torchvision and timm name blocks by position (``features.N``, ``blocks.i.j``) and
torchvision also names sub-layers by position, so every key rule needs the same two facts:
the order of the blocks, and which sub-layers each block has.
"""

from __future__ import annotations

from torch import nn

from ..models import LightNet

# Sub-layers of InvertedResidual (expand, dw, se, project) and DepthwiseSeparableConv (dw, pw),
# in forward order; a block has a subset of them.
PART_ORDER = ("expand", "dw", "se", "project", "pw")


def blocks(model: LightNet) -> list[tuple[str, nn.Module]]:
    """Every block with its lightnets path ``stages.i.j``, in forward order."""
    return [(f"stages.{i}.{j}", block) for i, stage in enumerate(model.stages) for j, block in enumerate(stage)]


def parts(block: nn.Module) -> list[str]:
    """The sub-layers ``block`` has, in forward order: e.g. ``["dw", "project"]`` for an
    inverted residual without expansion (MobileNetV2's first block)."""
    return [name for name in PART_ORDER if getattr(block, name, None) is not None]


def rename(lightnets_prefix: str, source_prefix: str, layers: dict[str, str]) -> dict[str, str]:
    """Module names under two prefixes: ``{"conv": "0"}`` -> ``{"stem.conv": "features.0.0"}``."""
    return {f"{lightnets_prefix}.{ours}": f"{source_prefix}.{theirs}" for ours, theirs in layers.items()}
