"""The torch datasets :func:`~lightnets.data.open_data` returns: ``(image tensor, int label)`` items.

Both hold only picklable values (paths, encoded bytes, numpy arrays, a torchvision
transform), so DataLoader workers work with ``fork`` and ``spawn`` alike.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from .errors import DataError
from .images import ImageSource, load_image
from .preprocessing import IN_CHANS

Transform = Callable[[Image.Image], torch.Tensor]
SKIP_CORRUPT_HINT = ("Fix or remove the file, or leave unreadable images out: --skip-corrupt in "
                     "`lightnets train` and `lightnets eval`, open_data(..., skip_corrupt=True) in Python")


class EncodedImages(Dataset):
    """Image files, or their encoded bytes held in memory, decoded with PIL on access.

    ``names`` label each image in error messages (default: the path itself).
    """

    def __init__(self, sources: Sequence[ImageSource], labels: Sequence[int], *, in_chans: int,
                 transform: Transform, names: Sequence[str] | None = None):
        if len(sources) != len(labels) or (names is not None and len(names) != len(sources)):
            raise ValueError(f"{len(sources)} images, {len(labels)} labels and "
                             f"{len(names) if names is not None else len(sources)} names do not match")
        self.sources = list(sources)
        self.labels = [int(label) for label in labels]
        self.names = None if names is None else list(names)
        self.in_chans = in_chans
        self.transform = transform

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        name = None if self.names is None else self.names[index]
        try:
            image = load_image(self.sources[index], self.in_chans, name)
        except DataError as e:
            raise DataError(f"{e}. {SKIP_CORRUPT_HINT}") from None
        return self.transform(image), self.labels[index]


class ArrayImages(Dataset):
    """Decoded ``uint8`` RGB images in one ``(N, 3, H, W)`` array (the CIFAR-10 batch layout)."""

    def __init__(self, pixels: np.ndarray, labels: Sequence[int], *, in_chans: int, transform: Transform):
        if pixels.ndim != 4 or pixels.shape[1] != 3 or pixels.dtype != np.uint8 or len(pixels) != len(labels):
            raise ValueError(f"expected uint8 pixels (N, 3, H, W) and N labels, got {pixels.dtype} "
                             f"{pixels.shape} and {len(labels)} labels")
        self.pixels = pixels
        self.labels = [int(label) for label in labels]
        self.in_chans = in_chans
        self.transform = transform

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(np.ascontiguousarray(self.pixels[index].transpose(1, 2, 0)))
        return self.transform(image.convert(IN_CHANS[self.in_chans])), self.labels[index]
