"""Weight initialisation schemes, by name: each family states the one its paper or reference code uses.

A scheme takes a module and initialises every layer inside it; :class:`~lightnets.models.LightNet`
applies its family's scheme once to the whole network and again to a classifier that
``reset_classifier`` rebuilds. Layers without a bias (or BatchNorm without affine
parameters) are skipped, never an error.
"""

from __future__ import annotations

from typing import Callable

from torch import nn


def kaiming_fan_out(module: nn.Module) -> None:
    """He et al. 2015 normal init scaled by fan-out for convs, N(0, 0.01) for Linear layers,
    BatchNorm at gamma = 1, beta = 0, zero biases: torchvision's MobileNetV2 / V3 and VGG."""
    _kaiming_fan_out(module, init_linear=True)


def kaiming_fan_out_convs(module: nn.Module) -> None:
    """:func:`kaiming_fan_out` for convs and BatchNorm only, Linear layers left as PyTorch
    built them: torchvision's ResNet (its classifier keeps ``nn.Linear``'s own init)."""
    _kaiming_fan_out(module, init_linear=False)


def _kaiming_fan_out(module: nn.Module, init_linear: bool) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            _zero_bias(m)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            if m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and init_linear:
            nn.init.normal_(m.weight, 0, 0.01)
            _zero_bias(m)


def kaiming_fan_in(module: nn.Module) -> None:
    """He et al. 2015 normal init scaled by fan-in for convs, BatchNorm at gamma = 1,
    beta = 0, Linear layers as PyTorch builds them with a zero bias: torchvision's DenseNet."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight)
            _zero_bias(m)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            if m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            _zero_bias(m)


def pytorch_default(module: nn.Module) -> None:
    """Leave every layer as PyTorch built it (its ``reset_parameters``: Kaiming-uniform with
    a = sqrt(5) and uniform biases), as torchvision's AlexNet and ShuffleNet do."""


def trunc_normal(std: float) -> Callable[[nn.Module], None]:
    """Conv and Linear weights from N(0, std) truncated to [-2, 2], BatchNorm at gamma = 1,
    beta = 0, biases as PyTorch builds them: torchvision's GoogLeNet (std 0.01) and
    Inception v3 (std 0.1)."""

    def init(module: nn.Module) -> None:
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, 0.0, std, -2, 2)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    return init


def _zero_bias(m: nn.Module) -> None:
    if m.bias is not None:
        nn.init.zeros_(m.bias)


INITS: dict[str, Callable[[nn.Module], None]] = {
    "kaiming_fan_out": kaiming_fan_out,
    "pytorch": pytorch_default,
    "kaiming_fan_in": kaiming_fan_in,
    "trunc_normal_0.01": trunc_normal(0.01),
    "trunc_normal_0.1": trunc_normal(0.1),
    "kaiming_fan_out_convs": kaiming_fan_out_convs,
}


def get_init(name: str) -> Callable[[nn.Module], None]:
    try:
        return INITS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown weight init {name!r}; valid: {', '.join(INITS)}") from None
