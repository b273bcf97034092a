"""PASCAL VOC semantic segmentation: ``root/JPEGImages/<id>.jpg``, ``root/SegmentationClass/<id>.png`` and
``root/ImageSets/Segmentation/<split>.txt`` (one id a line).

A mask is a palette (VOC's own files) or greyscale PNG whose pixel values are class indices; 255 marks the pixels no
class is scored on (VOC's object boundaries). The classes are the lines of an optional ``root/classes.txt``
(background first), else VOC's 21. The split file, every image and every mask must exist when the split is opened;
a mask whose size differs from its image's, or that holds a value that is neither a class nor the ignore index, is
refused when it is read, naming the file and the value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ..tasks.segmentation.targets import IGNORE_INDEX, check_ignore_index, check_target
from .dense_transforms import to_tensor_pair
from .errors import DataError
from .images import load_image

VOC_CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor")
CLASSES_FILE = "classes.txt"
MASK_MODES = ("P", "L")
SHOWN = 3

SegmentationPair = Callable[[Image.Image, Image.Image], tuple[torch.Tensor, torch.Tensor]]


def read_classes(root: Path) -> list[str]:
    """The lines of ``root/classes.txt`` (blank lines skipped), or VOC's 21 classes when there is no such file."""
    path = root / CLASSES_FILE
    if not path.is_file():
        return list(VOC_CLASSES)
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise DataError(f"{path} must list at least 2 distinct class names, one a line, background first; "
                        f"got {names}")
    return names


def _missing(paths: list[Path], what: str, split_file: Path) -> None:
    missing = [p for p in paths if not p.is_file()]
    if missing:
        shown = ", ".join(map(str, missing[:SHOWN])) + (f" and {len(missing) - SHOWN} more"
                                                        if len(missing) > SHOWN else "")
        raise DataError(f"{len(missing)} {what} of the {len(paths)} ids in {split_file} are missing: {shown}")


class VOCSegmentation(Dataset):
    """``(image float32 (3, H, W), mask int64 (H, W))`` items of one split of a VOC-layout folder.

    ``transform(image, mask)`` (e.g. :class:`~lightnets.data.dense_transforms.SegmentationTransform`) maps the
    decoded PIL image and mask; without one the image is only converted to a tensor and the mask to int64.
    """

    def __init__(self, root: str | os.PathLike, split: str, *, transform: SegmentationPair | None = None,
                 ignore_index: int = IGNORE_INDEX):
        self.root, self.split = Path(root), split
        self.transform = transform
        self.classes = read_classes(self.root)
        try:
            self.ignore_index = check_ignore_index(ignore_index, len(self.classes))
        except ValueError as e:
            raise DataError(f"{self.root}: {e}") from None
        self.split_file = self.root / "ImageSets" / "Segmentation" / f"{split}.txt"
        if not self.split_file.is_file():
            raise DataError(f"split file not found: {self.split_file} (a VOC layout lists each split's ids in "
                            "ImageSets/Segmentation/<split>.txt)")
        self.ids = [line.strip() for line in self.split_file.read_text().splitlines() if line.strip()]
        if not self.ids:
            raise DataError(f"split file {self.split_file} lists no ids")
        self.image_paths = [self.root / "JPEGImages" / f"{i}.jpg" for i in self.ids]
        self.mask_paths = [self.root / "SegmentationClass" / f"{i}.png" for i in self.ids]
        _missing(self.image_paths, "images", self.split_file)
        _missing(self.mask_paths, "masks", self.split_file)

    def __len__(self) -> int:
        return len(self.ids)

    def read_mask(self, index: int) -> Image.Image:
        """The mask PNG as a mode ``"L"`` image of class indices, its values checked."""
        path = self.mask_paths[index]
        try:
            with Image.open(path) as mask:
                if mask.mode not in MASK_MODES:
                    raise DataError(f"mask {path} is a {mask.mode} image; a mask is a palette (P) or greyscale (L) "
                                    "PNG whose values are class indices")
                values = np.array(mask, dtype=np.uint8)
        except (OSError, SyntaxError, ValueError) as e:
            raise DataError(f"cannot read mask {path}: {e}") from None
        try:
            check_target(torch.from_numpy(values), len(self.classes), self.ignore_index)
        except ValueError as e:
            raise DataError(f"mask {path}: {e} ({len(self.classes)} classes)") from None
        return Image.fromarray(values)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = load_image(self.image_paths[index], 3)
        mask = self.read_mask(index)
        if mask.size != image.size:
            raise DataError(f"mask {self.mask_paths[index]} is {mask.width}x{mask.height} but its image "
                            f"{self.image_paths[index]} is {image.width}x{image.height} (width x height)")
        if self.transform is None:
            image, _ = to_tensor_pair(image, None)
            return image, torch.from_numpy(np.array(mask, dtype=np.int64))
        return self.transform(image, mask)
