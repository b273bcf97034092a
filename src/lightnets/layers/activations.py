"""Activations by name, each a native torch module so export and quantization just work.

relu (MobileNetV1), relu6 (MobileNetV2), hard_swish / hard_sigmoid (MobileNetV3's
cheap piecewise-linear swish and sigmoid), swish (EfficientNet, MixNet), sigmoid (SE gates),
tanh (LeNet-5's squashing function).
"""

from __future__ import annotations

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hard_swish": nn.Hardswish,
    "hard_sigmoid": nn.Hardsigmoid,
    "swish": nn.SiLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


def make_activation(name: str | None) -> nn.Module:
    """A fresh activation module for ``name``; ``None`` means linear (identity)."""
    if name is None:
        return nn.Identity()
    try:
        cls = ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(sorted(ACTIVATIONS))}") from None
    return cls(inplace=True) if cls in (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.SiLU) else cls()
