"""A lightnets model's blocks and their sub-layers in forward order, as the key rules walk them.

Both torchvision and timm name blocks by position (``features.N``, ``blocks.i.j``) and
torchvision also names sub-layers by position, so every key rule needs the same two facts:
the order of the blocks, and which sub-layers each block has.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from ..errors import CheckpointError
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


OPTIONAL_SUFFIX = ".num_batches_tracked"  # a BN counter: no tensor of the forward, absent from some checkpoints
SHOWN = 5  # offending keys listed per kind of problem


def convert_by_module_names(state_dict: Mapping[str, torch.Tensor], model: nn.Module, names: Mapping[str, str],
                            built: str) -> dict[str, torch.Tensor]:
    """``state_dict`` with ``model``'s keys, where ``names`` maps each of ``model``'s module names to the source's
    (a tensor keeps its leaf name: ``weight``, ``running_mean``). A :class:`~lightnets.errors.CheckpointError`
    lists the missing, unexpected and wrongly shaped keys, ``built`` saying how ``model`` was built."""
    out, missing, wrong, used = {}, [], [], set()
    for key, tensor in model.state_dict().items():
        module, _, leaf = key.rpartition(".")
        theirs = f"{names[module]}.{leaf}"
        used.add(theirs)
        if theirs not in state_dict:
            if not key.endswith(OPTIONAL_SUFFIX):
                missing.append(theirs)
        elif state_dict[theirs].shape != tensor.shape:
            wrong.append(f"{theirs} {tuple(state_dict[theirs].shape)} (ours {tuple(tensor.shape)})")
        else:
            out[key] = state_dict[theirs]
    unexpected = sorted(set(state_dict) - used)
    if missing or unexpected or wrong:
        problems = (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
        listing = "; ".join(f"{kind} ({len(keys)}): {', '.join(keys[:SHOWN])}" for kind, keys in problems if keys)
        raise CheckpointError(f"the state dict does not fit {built}: {listing}")
    return out
