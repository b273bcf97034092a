"""Complexity analysis: params, multiply-adds, elementwise ops and activation sizes."""

from .conv_cost import ConvCost, conv_cost
from .op_kind import ELEMENTWISE_KINDS, KIND_LABELS, MAC_KINDS
from .param_conventions import CONVENTIONS, count_params
from .profile import LayerRow, Profile, profile

__all__ = [
    "CONVENTIONS", "ConvCost", "ELEMENTWISE_KINDS", "KIND_LABELS", "LayerRow", "MAC_KINDS",
    "Profile", "conv_cost", "count_params", "profile",
]
