"""A lightnets model's blocks and their sub-layers in forward order, as the key rules walk them.

Both torchvision and timm name blocks by position (``features.N``, ``blocks.i.j``) and
torchvision also names sub-layers by position, so every key rule needs the same two facts:
the order of the blocks, and which sub-layers each block has.
"""

from __future__ import annotations

from torch import nn

from ..layers.mixconv import MixConv
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


def with_mixconv_groups(model: LightNet, names: dict[str, str]) -> dict[str, str]:
    """``names`` plus the kernel groups of every MixConv it names: child ``i`` under both prefixes (timm's
    ``MixedConv2d`` numbers its groups as lightnets does)."""
    modules = dict(model.named_modules())
    groups = {f"{ours}.{i}": f"{theirs}.{i}" for ours, theirs in names.items() if isinstance(modules.get(ours), MixConv)
              for i in range(len(modules[ours]))}
    return names | groups
