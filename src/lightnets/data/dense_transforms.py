"""Joint image + target transforms for detection and segmentation (torchvision.transforms.v2 on tv_tensors).

Detection, as torchvision's SSD / SSDlite recipe resizes: the whole image squashed to ``(size, size)`` (no crop,
no letterbox), boxes scaled with it; training adds a random horizontal flip. Segmentation training, as DeepLab
trains: a random scale of 0.5 to 2.0 (of the scale that fits the image in ``(size, size)``, torchvision's
``ScaleJitter``), a random ``(size, size)`` crop, the mask padded with the ignore index where the crop passes the
border, and a random horizontal flip; evaluation resizes to ``(size, size)`` (masks with nearest neighbour). Both end
in a float32 tensor normalised by ``mean`` / ``std``.

Every random draw comes from torch's default generator, as in :mod:`.transforms`: a DataLoader seeds it in each
worker from its base seed, and :func:`~lightnets.training.seeding.seed_epoch` seeds that per epoch, so workers and
epochs are reproducible. Boxes are never dropped here (no ``SanitizeBoundingBoxes``): flips and resizes keep every box
inside the image.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image
from torchvision import tv_tensors
from torchvision.transforms import v2

from ..tasks.segmentation.targets import IGNORE_INDEX

SCALE_RANGE = (0.5, 2.0)  # DeepLab's random scale

Target = dict[str, Any]


def _normalise(mean: Sequence[float], std: Sequence[float]) -> list[v2.Transform]:
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std)), v2.ToPureTensor()]


class DetectionTransform:
    """``(PIL image, target) -> (float32 (3, size, size), target)``; ``target["boxes"]`` is xyxy pixels, float32.

    The other keys of ``target`` (``labels``, ``image_id``, ``orig_size``) pass through unchanged.
    """

    def __init__(self, size: int, mean: Sequence[float], std: Sequence[float], *, train: bool):
        self.size, self.train = size, train
        flip = [v2.RandomHorizontalFlip()] if train else []
        self.pipeline = v2.Compose([v2.ToImage(), *flip, v2.Resize((size, size), antialias=True),
                                    *_normalise(mean, std)])

    def __call__(self, image: Image.Image, target: Target) -> tuple[torch.Tensor, Target]:
        boxes = tv_tensors.BoundingBoxes(target["boxes"], format="XYXY", canvas_size=(image.height, image.width))
        image, target = self.pipeline(image, {**target, "boxes": boxes})
        return image, target


class SegmentationTransform:
    """``(PIL image, PIL mask of class indices) -> (float32 (3, size, size), int64 (size, size))``."""

    def __init__(self, size: int, mean: Sequence[float], std: Sequence[float], *, train: bool,
                 ignore_index: int = IGNORE_INDEX):
        self.size, self.train, self.ignore_index = size, train, ignore_index
        if train:
            geometry = [v2.ScaleJitter((size, size), scale_range=SCALE_RANGE, antialias=True),
                        v2.RandomCrop(size, pad_if_needed=True, fill={tv_tensors.Mask: ignore_index, "others": 0}),
                        v2.RandomHorizontalFlip()]
        else:
            geometry = [v2.Resize((size, size), antialias=True)]
        self.pipeline = v2.Compose([v2.ToImage(), *geometry, *_normalise(mean, std)])

    def __call__(self, image: Image.Image, mask: Image.Image) -> tuple[torch.Tensor, torch.Tensor]:
        image, mask = self.pipeline(image, tv_tensors.Mask(torch.from_numpy(np.array(mask, dtype=np.uint8))))
        return image, mask.long()


def squashed(image: Image.Image, size: int, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """An image alone as both evaluation transforms give it: squashed to ``(size, size)`` and normalised, float32
    ``(3, size, size)`` (prediction, where there is no target)."""
    return v2.Compose([v2.ToImage(), v2.Resize((size, size), antialias=True), *_normalise(mean, std)])(image)


def to_tensor_pair(image: Image.Image, target: Any) -> tuple[torch.Tensor, Any]:
    """No resize, no normalisation: the image as float32 in [0, 1], the target as it is (the datasets' default)."""
    return v2.functional.to_dtype(v2.functional.to_image(image), torch.float32, scale=True).as_subclass(
        torch.Tensor), target


def detection_collate(batch: Sequence[tuple[torch.Tensor, Target]]) -> tuple[torch.Tensor, list[Target]]:
    """``(images stacked (N, 3, H, W), [target dict, ...])``: boxes differ in number per image, so they stay a list."""
    images, targets = zip(*batch)
    return torch.stack(images), list(targets)
