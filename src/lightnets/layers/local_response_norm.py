"""Local response normalisation across adjacent kernel maps (Krizhevsky et al. 2012, Section 3.3).

b^i = a^i / (k + alpha * sum_j (a^j)^2)^beta, the sum over the n maps around map i, with
k = 2, n = 5, alpha = 1e-4, beta = 0.75, after the ReLU of AlexNet's first and second
convolutional layers. In the paper's two-GPU network each GPU holds half of the maps, so
the neighbourhood never crosses from one tower to the other.
"""

from __future__ import annotations

import torch
from torch import nn


class LocalResponseNorm(nn.LocalResponseNorm):
    """The paper's response normalisation, applied within each of ``towers`` equal channel groups.

    ``alpha`` is the paper's (the coefficient of the sum); ``torch.nn.LocalResponseNorm``
    divides its own alpha by ``size``, so it is built with ``alpha * size``.
    """

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0, towers: int = 1):
        super().__init__(size, alpha * size, beta, k)
        self.towers = towers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.towers == 1:
            return super().forward(x)
        per_tower = x.unflatten(1, (self.towers, -1)).flatten(0, 1)  # (N * towers, C / towers, H, W)
        return super().forward(per_tower).unflatten(0, (-1, self.towers)).flatten(1, 2)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, towers={self.towers}"
