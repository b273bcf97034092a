"""What kind of operation a module is, in the vocabulary of the MobileNetV1 paper's Table 2.

MAC-carrying kinds (conv and fully connected layers, SE layers included):
``conv_1x1`` (pointwise), ``conv_dw`` (depthwise), ``conv_kxk`` (full k x k),
``conv_grouped``, ``fc``, ``se`` (the two layers inside squeeze-and-excite).
Elementwise kinds, reported apart and never mixed into MACs: ``bn``, ``act``, ``pool``,
``add`` (residual shortcut), ``mul`` (SE rescale).
"""

from __future__ import annotations

from torch import nn

from ..layers import ACTIVATIONS

MAC_KINDS = ("conv_1x1", "conv_dw", "conv_kxk", "conv_grouped", "fc", "se")
ELEMENTWISE_KINDS = ("bn", "act", "pool", "add", "mul")
KIND_LABELS = {
    "conv_1x1": "Conv 1x1",
    "conv_dw": "Conv DW",
    "conv_kxk": "Conv kxk (full)",
    "conv_grouped": "Conv grouped",
    "fc": "Fully connected",
    "se": "Squeeze-excite",
    "bn": "BatchNorm",
    "act": "Activation",
    "pool": "Pooling",
    "add": "Residual add",
    "mul": "SE multiply",
}
_ACTIVATION_TYPES = tuple(ACTIVATIONS.values())
_POOL_TYPES = (nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.MaxPool2d, nn.AdaptiveMaxPool2d)


def conv_kind(conv: nn.Conv2d) -> str:
    if conv.groups == 1:
        return "conv_1x1" if conv.kernel_size == (1, 1) else "conv_kxk"
    if conv.groups == conv.in_channels and conv.out_channels % conv.in_channels == 0:
        return "conv_dw"
    return "conv_grouped"


def module_kind(module: nn.Module, inside_se: bool) -> str | None:
    """The kind of a leaf module, or ``None`` for modules that do no arithmetic."""
    if isinstance(module, nn.Conv2d):
        return "se" if inside_se else conv_kind(module)
    if isinstance(module, nn.Linear):
        return "se" if inside_se else "fc"
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return "bn"
    if isinstance(module, _ACTIVATION_TYPES):
        return "act"
    if isinstance(module, _POOL_TYPES):
        return "pool"
    return None
