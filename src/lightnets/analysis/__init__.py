"""Complexity analysis over what executes: params, multiply-adds, elementwise ops, memory traffic."""

from .conv_cost import ConvCost, conv_cost
from .op_kind import DATA_KINDS, ELEMENTWISE_KINDS, KIND_LABELS, MAC_KINDS
from .param_conventions import CONVENTIONS
from .profile import LayerRow, Profile, profile

__all__ = [
    "CONVENTIONS", "ConvCost", "DATA_KINDS", "ELEMENTWISE_KINDS", "KIND_LABELS", "LayerRow", "MAC_KINDS",
    "Profile", "conv_cost", "profile",
]
