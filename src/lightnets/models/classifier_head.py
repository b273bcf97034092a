"""The classification head shared by every family: global pool, optional hidden layer, FC."""

from __future__ import annotations

import torch
from torch import nn

from ..layers import make_activation


class ClassifierHead(nn.Module):
    """Global average pool -> [Linear(hidden) -> act] -> dropout -> Linear(num_classes).

    The hidden layer is MobileNetV3's last "conv2d 1x1, NBN" (a 1x1 conv on a 1x1 map is
    a fully connected layer). ``num_classes=0`` leaves the pooled features as the output.
    """

    def __init__(
        self,
        in_chs: int,
        num_classes: int,
        hidden: int | None = None,
        act: str | None = None,
        drop_rate: float = 0.0,
    ):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.hidden = nn.Linear(in_chs, hidden) if hidden else None
        self.act = make_activation(act) if hidden else None
        self.num_features = hidden or in_chs
        self.drop = nn.Dropout(drop_rate)
        self.fc = self._make_fc(num_classes)

    def _make_fc(self, num_classes: int) -> nn.Module:
        if num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {num_classes}")
        return nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()

    def reset(self, num_classes: int) -> None:
        self.fc = self._make_fc(num_classes)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.pool(x).flatten(1)
        if self.hidden is not None:
            x = self.act(self.hidden(x))
        if pre_logits:
            return x
        return self.fc(self.drop(x))
