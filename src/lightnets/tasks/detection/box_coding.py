"""SSD's box encoding (Liu et al. 2016, Eq. 2; Faster R-CNN's parametrisation), as torchvision's ``BoxCoder``.

A box relative to its default box (anchor) of centre ``(xa, ya)`` and size ``(wa, ha)`` is
``(wx (x - xa) / wa, wy (y - ya) / ha, ww log(w / wa), wh log(h / ha))``; the weights (10, 10, 5, 5) are the
"variances" (0.1, 0.1, 0.2, 0.2) of the SSD reference, inverted. Decoding clips the log-size offsets at
``log(1000 / 16)`` before the exponential, so a wild regression cannot overflow.
"""

from __future__ import annotations

import math

import torch

WEIGHTS = (10.0, 10.0, 5.0, 5.0)
LOG_SIZE_CLIP = math.log(1000.0 / 16)


def _centres(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights, widths, heights


class BoxCoder:
    """``encode(boxes, anchors)`` and ``decode(codes, anchors)``: xyxy boxes <-> ``(N, 4)`` regression targets."""

    def __init__(self, weights: tuple[float, float, float, float] = WEIGHTS, log_size_clip: float = LOG_SIZE_CLIP):
        self.weights, self.log_size_clip = weights, log_size_clip

    def encode(self, boxes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        wx, wy, ww, wh = self.weights
        x, y, w, h = _centres(boxes)
        xa, ya, wa, ha = _centres(anchors)
        return torch.stack((wx * (x - xa) / wa, wy * (y - ya) / ha, ww * torch.log(w / wa), wh * torch.log(h / ha)),
                           dim=1)

    def decode(self, codes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
        wx, wy, ww, wh = self.weights
        xa, ya, wa, ha = _centres(anchors.to(codes.dtype))
        x = codes[:, 0] / wx * wa + xa
        y = codes[:, 1] / wy * ha + ya
        w = torch.exp(torch.clamp(codes[:, 2] / ww, max=self.log_size_clip)) * wa
        h = torch.exp(torch.clamp(codes[:, 3] / wh, max=self.log_size_clip)) * ha
        return torch.stack((x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h), dim=1)
