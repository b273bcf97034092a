"""Squeeze-and-excitation (SENet): global pool, two 1x1 layers, a gate that rescales channels.

The reduced width is given explicitly; each family states its own rule in one place
(MobileNetV3: a quarter of the expanded width rounded to a multiple of 8; SENet: C/16).
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduced: int, act: str = "relu", gate: str = "hard_sigmoid"):
        super().__init__()
        if reduced < 1:
            raise ValueError(f"SE reduced width must be >= 1, got {reduced}")
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.act = make_activation(act)
        self.fc2 = nn.Conv2d(reduced, channels, 1)
        self.gate = make_activation(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.mean((2, 3), keepdim=True)
        scale = self.gate(self.fc2(self.act(self.fc1(scale))))
        return x * scale
