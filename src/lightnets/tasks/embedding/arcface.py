"""ArcFace: additive angular margin loss (Deng et al. 2019, arXiv:1801.07698, Section 2.1).

Embeddings and the class weights are L2-normalised, so the logit of class j is the cosine of
the angle theta_j between an embedding and W_j. The target class's angle is widened by the
margin m before the scale s: the logit becomes s * cos(theta_y + m), the others stay
s * cos(theta_j), then softmax cross-entropy. A sample must then sit m radians closer to its
class centre than to any other to be classified with the same confidence, which pulls
identities into tight, well-separated arcs on the hypersphere (MobileFaceNet's published
results are trained so, arXiv:1804.07573, abstract).

cos(theta + m) falls monotonically only while theta + m <= pi. Beyond, the authors'
implementation (insightface) replaces it by cos(theta) - m sin(m), a CosFace-style margin
that keeps the logit falling with theta; ``easy_margin=True`` instead applies the margin only where
cos(theta) > 0 (theta < pi / 2) and leaves cos(theta) elsewhere.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# acos is differentiable only inside (-1, 1): cosines are held this far inside
_COS_LIMIT = 1.0 - 1e-7


def check_margin(m: float) -> float:
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 <= m < math.pi / 2:
        raise ValueError(f"the angular margin m must be a number of radians in [0, pi/2) (ArcFace uses 0.5), got {m!r}")
    return float(m)


class ArcFace(nn.Module):
    """ArcFace's classifier and loss: ``forward(embeddings, labels)`` is the mean loss over
    the batch. ``weight`` holds one centre per class, shape (num_classes, embedding_dim)."""

    def __init__(self, embedding_dim: int, num_classes: int, s: float = 64.0, m: float = 0.5,
                 easy_margin: bool = False):
        super().__init__()
        for name, value, smallest in (("embedding_dim", embedding_dim, 1), ("num_classes", num_classes, 2)):
            if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
                raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not (0 < s and math.isfinite(s)):
            raise ValueError(f"the scale s must be a finite number > 0 (ArcFace uses 64), got {s!r}")
        if not isinstance(easy_margin, bool):
            raise ValueError(f"easy_margin must be True or False, got {easy_margin!r}")
        self.s, self.m, self.easy_margin = float(s), check_margin(m), easy_margin
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)

    def extra_repr(self) -> str:
        return (f"embedding_dim={self.weight.shape[1]}, num_classes={self.weight.shape[0]}, s={self.s:g}, "
                f"m={self.m:g}, easy_margin={self.easy_margin}")

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        """cos(theta_j) of every embedding and every class centre, shape (N, num_classes)."""
        if embeddings.dim() != 2 or embeddings.shape[1] != self.weight.shape[1]:
            raise ValueError(f"expected embeddings of shape (N, {self.weight.shape[1]}), got {tuple(embeddings.shape)}")
        return F.linear(F.normalize(embeddings), F.normalize(self.weight))

    def logits(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """s * cos(theta_j), with cos(theta_y + m) (or its replacement, see the module) for each
        sample's own class y."""
        num_classes = self.weight.shape[0]
        if labels.shape != embeddings.shape[:1] or labels.dtype != torch.long:
            raise ValueError(f"expected one integer (torch.long) label per embedding, got labels of shape "
                             f"{tuple(labels.shape)} and dtype {labels.dtype} for {embeddings.shape[0]} embeddings")
        if labels.numel() and not 0 <= int(labels.min()) <= int(labels.max()) < num_classes:
            raise ValueError(f"labels must be class indices from 0 to {num_classes - 1}, got values from "
                             f"{int(labels.min())} to {int(labels.max())}")
        cos = self.cosine(embeddings).clamp(-_COS_LIMIT, _COS_LIMIT)
        cos_y = cos.gather(1, labels[:, None])
        theta_y = torch.acos(cos_y)
        with_margin = torch.cos(theta_y + self.m)
        if self.easy_margin:
            target = torch.where(cos_y > 0, with_margin, cos_y)
        else:
            target = torch.where(theta_y + self.m <= math.pi, with_margin, cos_y - self.m * math.sin(self.m))
        return self.s * cos.scatter(1, labels[:, None], target)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.logits(embeddings, labels), labels)
