"""Channel pruning of a network built from a widths plan: which widths move together, which
filters stay, and the weights carried over.

A model with per-layer widths (``model.widths``, :mod:`lightnets.models.widths`) is pruned
by building the same architecture with a narrower plan and copying the kept channels into
it. The *groups* are the plan positions that must narrow together: each position alone,
except those ``model.width_ties`` joins (a block's input and output across a shortcut,
its input and expanded width without an expansion conv); NetAdapt's "layers" are these
groups.

The weights are carried over from what the two networks hold, not from the builders: every
tensor dimension whose size differs between the old and the new state dict belongs to the
narrowed channels (or to a width derived from them, such as a squeeze-and-excite's, which
narrows with its expansion). For each such change of size, the channels kept are the ones
whose filters have the largest L2 norm (NetAdapt, Section 3.2: "the N filters with the
largest l2-norm magnitude"), summed over every weight that produces the channel (the
tensors whose first dimension changes: the convs writing it, its depthwise filter, for a
tied group the convs of every block on it); the kept channels stay in their order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..models import create_model_from_config
from ..models.widths import Plan, Position


@dataclass(frozen=True)
class WidthGroup:
    """Plan positions that hold one width: narrowing one narrows them all."""

    positions: tuple[Position, ...]
    width: int

    @property
    def name(self) -> str:
        return "+".join(slot if index is None else f"{slot}[{index}]" for slot, index in self.positions)


def model_widths(model: nn.Module) -> tuple[Plan, list]:
    """``model``'s widths plan and ties, or a ValueError for a family without them or whose layers a narrower plan
    rebuilds differently (the builder says why in ``model.unprunable``)."""
    plan = getattr(model, "widths", None)
    family = getattr(model, "config", {}).get("name", type(model).__name__)
    if not isinstance(plan, dict):
        raise ValueError(f"{family} has no per-layer widths (widths=) to prune; the families that do: "
                         "mobilenet_v1, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small, the MnasNets and "
                         "EfficientNets (B and Lite)")
    reason = getattr(model, "unprunable", None)
    if reason:
        raise ValueError(f"{family} takes per-layer widths, but cannot be pruned: {reason}")
    return plan, list(getattr(model, "width_ties", []))


def _positions(plan: Plan) -> list[Position]:
    return [p for slot, value in plan.items()
            for p in ([(slot, i) for i in range(len(value))] if isinstance(value, list) else [(slot, None)])]


def width_at(plan: Plan, position: Position) -> int:
    slot, index = position
    return plan[slot] if index is None else plan[slot][index]


def width_groups(model: nn.Module) -> list[WidthGroup]:
    """The groups of ``model``'s plan in network order (by each group's first position)."""
    plan, ties = model_widths(model)
    positions = _positions(plan)
    parent = {p: p for p in positions}

    def root(p: Position) -> Position:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, b in ties:
        parent[root(tuple(b))] = root(tuple(a))
    members: dict[Position, list[Position]] = {}
    for p in positions:
        members.setdefault(root(p), []).append(p)
    groups = []
    for group in members.values():
        widths = {width_at(plan, p) for p in group}
        if len(widths) != 1:
            raise ValueError(f"tied positions {group} hold different widths {sorted(widths)}")
        groups.append(WidthGroup(tuple(group), widths.pop()))
    return groups


def narrowed_plan(plan: Plan, group: WidthGroup, width: int) -> Plan:
    """``plan`` with every position of ``group`` at ``width``."""
    new = {k: list(v) if isinstance(v, list) else v for k, v in plan.items()}
    for slot, index in group.positions:
        if index is None:
            new[slot] = width
        else:
            new[slot][index] = width
    return new


def narrowed_config(model: nn.Module, group: WidthGroup, width: int) -> dict[str, Any]:
    plan, _ = model_widths(model)
    return {**model.config, "widths": narrowed_plan(plan, group, width)}


def _changes(old: dict[str, torch.Tensor], new: dict[str, torch.Tensor]) -> dict[str, list[tuple[int, int, int]]]:
    """Per tensor, the (dim, old size, new size) of each dimension that changed."""
    if old.keys() != new.keys():
        raise ValueError("the narrowed network has other tensors than the original; only widths may change")
    out = {}
    for key, tensor in new.items():
        before = old[key]
        if tensor.dim() != before.dim():
            raise ValueError(f"{key} has {before.dim()} dims before and {tensor.dim()} after narrowing")
        dims = [(d, a, b) for d, (a, b) in enumerate(zip(before.shape, tensor.shape)) if a != b]
        if any(b > a for _, a, b in dims):
            raise ValueError(f"{key} widens from {tuple(before.shape)} to {tuple(tensor.shape)}; pruning only narrows")
        if dims:
            out[key] = dims
    return out


def kept_channels(old: dict[str, torch.Tensor], changes: dict[str, list[tuple[int, int, int]]]
                  ) -> dict[tuple[int, int], torch.Tensor]:
    """For each (old size, new size) change, the sorted indices of the channels kept: those
    with the largest L2 norm over the weights that produce them."""
    norms: dict[tuple[int, int], torch.Tensor] = {}
    for key, dims in changes.items():
        tensor = old[key]
        for d, a, b in dims:
            norms.setdefault((a, b), torch.zeros(a, dtype=torch.float64))
            if d == 0 and tensor.dim() >= 2 and tensor.is_floating_point():
                norms[(a, b)] += tensor.detach().double().flatten(1).pow(2).sum(1)
    return {(a, b): norm.topk(b, sorted=False).indices.sort().values for (a, b), norm in norms.items()}


def transfer(old: dict[str, torch.Tensor], new_model: nn.Module) -> dict[tuple[int, int], torch.Tensor]:
    """Load into ``new_model`` the kept channels of the state dict ``old``; returns the
    channels kept per change of size."""
    new = new_model.state_dict()
    changes = _changes(old, new)
    keep = kept_channels(old, changes)
    state = {}
    for key, tensor in old.items():
        for d, a, b in changes.get(key, []):
            tensor = tensor.index_select(d, keep[(a, b)])
        state[key] = tensor
    new_model.load_state_dict(state)
    return keep


def prune(model: nn.Module, group: WidthGroup, width: int) -> nn.Module:
    """A new model: ``model`` with ``group`` narrowed to ``width`` channels, the channels with
    the largest filters kept, every other weight copied (in ``model``'s train/eval mode)."""
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= group.width:
        raise ValueError(f"{group.name} has {group.width} channels; pruning keeps 1 to {group.width}, got {width!r}")
    narrow = create_model_from_config(narrowed_config(model, group, width))
    transfer(model.state_dict(), narrow)
    return narrow.train(model.training)
