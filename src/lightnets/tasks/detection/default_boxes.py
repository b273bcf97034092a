"""SSD's default boxes (Liu et al. 2016, arXiv:1512.02325, Section 2.2 "Choosing scales and aspect ratios"), as
torchvision's ``DefaultBoxGenerator`` makes them for SSDLite.

Feature map k of m gets the scale ``s_k = min_ratio + (max_ratio - min_ratio) * k / (m - 1)`` (a fraction of the
image side; ``s_m = 1`` closes the list), and at every cell centre ``((i + 0.5) / w, (j + 0.5) / h)`` the boxes
``(s_k, s_k)``, ``(s'_k, s'_k)`` with ``s'_k = sqrt(s_k * s_{k+1})``, then ``(s_k sqrt(a), s_k / sqrt(a))`` and its
transpose for each aspect ratio ``a``: ``2 + 2 * len(aspect_ratios[k])`` boxes a cell. With ``clip`` the widths and
heights are clipped to [0, 1] (torchvision's default). Boxes come out as xyxy pixels of the given image size, cell
by cell, row-major, in the order the prediction heads lay out their anchors. SSDLite320 on MobileNetV3-Large
(torchvision's ``ssdlite320_mobilenet_v3_large``, the MobileNetV3 paper's Section 6.2): six maps, aspect ratios
(2, 3) on each, ``min_ratio`` 0.2, ``max_ratio`` 0.95, as TF's object detection API configures SSDLite (without its
``reduce_boxes_in_lowest_layer``).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch


class DefaultBoxes:
    """The default boxes of ``len(aspect_ratios)`` feature maps; ``boxes(grid_sizes, image_size)`` lays them out."""

    def __init__(self, aspect_ratios: Sequence[Sequence[int]], min_ratio: float = 0.2, max_ratio: float = 0.95,
                 clip: bool = True):
        if not 0 < min_ratio <= max_ratio <= 1:
            raise ValueError(f"the default boxes' scales need 0 < min_ratio <= max_ratio <= 1 (fractions of the image "
                             f"side), got min_ratio={min_ratio!r}, max_ratio={max_ratio!r}")
        self.aspect_ratios = [list(r) for r in aspect_ratios]
        self.clip = clip
        m = len(self.aspect_ratios)
        if m > 1:
            self.scales = [min_ratio + (max_ratio - min_ratio) * k / (m - 1.0) for k in range(m)] + [1.0]
        else:
            self.scales = [min_ratio, max_ratio]
        self.wh = [self._wh(k) for k in range(m)]

    def _wh(self, k: int) -> torch.Tensor:
        s, s_next = self.scales[k], self.scales[k + 1]
        pairs = [[s, s], [math.sqrt(s * s_next)] * 2]
        for ratio in self.aspect_ratios[k]:
            w, h = s * math.sqrt(ratio), s / math.sqrt(ratio)
            pairs += [[w, h], [h, w]]
        wh = torch.tensor(pairs, dtype=torch.float32)
        return wh.clamp(0, 1) if self.clip else wh

    def num_anchors_per_location(self) -> list[int]:
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def boxes(self, grid_sizes: Sequence[tuple[int, int]], image_size: tuple[int, int],
              device: torch.device | str | None = None) -> torch.Tensor:
        """``(A, 4)`` float32 xyxy pixels for feature maps of ``grid_sizes`` (h, w) on an ``image_size`` (h, w)
        image, A = sum of h * w * boxes per cell."""
        if len(grid_sizes) != len(self.aspect_ratios):
            raise ValueError(f"{len(grid_sizes)} feature maps for default boxes of {len(self.aspect_ratios)}")
        centred = []
        for (h, w), wh in zip(grid_sizes, self.wh):
            xs = ((torch.arange(w) + 0.5) / w).to(torch.float32)
            ys = ((torch.arange(h) + 0.5) / h).to(torch.float32)
            y, x = torch.meshgrid(ys, xs, indexing="ij")
            centres = torch.stack((x.reshape(-1), y.reshape(-1)) * len(wh), dim=-1).reshape(-1, 2)
            centred.append(torch.cat((centres, wh.repeat(h * w, 1)), dim=1))
        cxcywh = torch.cat(centred)
        scale = torch.tensor([image_size[1], image_size[0]])
        xyxy = torch.cat(((cxcywh[:, :2] - 0.5 * cxcywh[:, 2:]) * scale, (cxcywh[:, :2] + 0.5 * cxcywh[:, 2:]) * scale),
                         dim=-1)
        return xyxy.to(device) if device is not None else xyxy
