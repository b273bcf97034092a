"""The global context block (Cao et al. 2019, GCNet, arXiv:1904.11492, Section 4.2 and Fig. 4(d)).

Context modelling: a 1x1 conv W_k gives one logit per position, a softmax over the H x W positions turns them into
attention weights, and the context is the input's weighted sum over positions (a matmul of the C x HW map with the
HW weights: the non-local block's attention pooling with one query for every position). Transform: a bottleneck of
1x1 convs (fully connected on the C-vector) from C to C x ``ratio`` and back, with LayerNorm and ReLU between them.
Fusion: broadcast addition to every position (``fusion="add"``, the paper's GC block) or, as SE does, a sigmoid
rescale of the channels (``fusion="scale"``, the paper's ablation in Table 2(d)). GC-ResNet-50 has the block after
the last 1x1 conv of every bottleneck in c3 to c5, ratio 1/16 (1/4 in Table 2(c)).
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import make_activation

FUSIONS = ("add", "scale")


class GlobalContext(nn.Module):
    def __init__(self, channels: int, ratio: float = 1 / 16, fusion: str = "add"):
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(f"the global context ratio must be a number in (0, 1] (the bottleneck's C x ratio "
                             f"channels: 1/16 in GCNet, 1/4 in its ablation), got {ratio!r}")
        reduced = int(channels * ratio + 0.5)  # C x ratio, rounded half up
        if reduced < 1:
            raise ValueError(f"a global context ratio of {ratio:g} leaves {channels} x {ratio:g} < 1 channel in the "
                             f"transform's bottleneck; take a ratio >= {1 / channels:g} at this width")
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        super().__init__()
        self.fusion = fusion
        self.attend = nn.Conv2d(channels, 1, 1)  # W_k
        self.fc1 = nn.Linear(channels, reduced)  # W_v1
        self.norm = nn.LayerNorm(reduced)
        self.act = make_activation("relu")
        self.fc2 = nn.Linear(reduced, channels)  # W_v2
        self.gate = make_activation("sigmoid") if fusion == "scale" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.attend(x).flatten(2).softmax(-1)  # (B, 1, HW), a softmax over the positions
        context = torch.matmul(x.flatten(2), weights.transpose(1, 2)).flatten(1)  # (B, C)
        transformed = self.fc2(self.act(self.norm(self.fc1(context))))[:, :, None, None]
        return x * self.gate(transformed) if self.gate is not None else x + transformed
