"""Activations by name, each a native torch module so export and quantization just work.

relu (MobileNetV1), relu6 (MobileNetV2), hard_swish / hard_sigmoid (MobileNetV3's
cheap piecewise-linear swish and sigmoid), swish (EfficientNet, MixNet), sigmoid (SE gates),
tanh (LeNet-5's squashing function), prelu (MobileFaceNet: a learned negative slope per channel, He et al. 2015,
arXiv:1502.01852, Section 2.1).
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
    "prelu": nn.PReLU,
}


def make_activation(name: str | None, channels: int | None = None) -> nn.Module:
    """A fresh activation module for ``name``; ``None`` means linear (identity). ``channels``
    gives PReLU one slope per channel (without it, one slope shared by all)."""
    if name is None:
        return nn.Identity()
    try:
        cls = ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(sorted(ACTIVATIONS))}") from None
    if cls is nn.PReLU:
        return cls(channels or 1)
    return cls(inplace=True) if cls in (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.SiLU) else cls()
