"""Reading one image file with PIL and converting it to the model's channels.

Images become ``"RGB"`` for ``in_chans=3`` and ``"L"`` for ``in_chans=1`` with PIL's
``convert``: grey images are replicated to three channels, colour images become luma
(ITU-R 601-2), palette images are expanded, and an alpha channel is dropped (the
colour stored under transparent pixels is kept, not composited on a background).
"""

from __future__ import annotations

import io
import os
from typing import Sequence

from PIL import Image
from tqdm import tqdm

from .errors import DataError
from .preprocessing import IN_CHANS

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
PROGRESS_ABOVE = 2000  # files; smaller checks finish before a progress bar is worth drawing

ImageSource = str | os.PathLike | bytes


def is_image_file(name: str) -> bool:
    """Whether ``name`` has one of :data:`IMAGE_EXTENSIONS` (any case) and is not hidden."""
    return not os.path.basename(name).startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def load_image(source: ImageSource, in_chans: int, name: str | None = None) -> Image.Image:
    """Decode a file path or encoded bytes and convert it to ``in_chans`` channels.

    An unreadable or corrupt image raises :class:`DataError` ``cannot read image NAME:
    REASON``, naming ``name`` (the path by default); callers add what the user can do.
    """
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            return image.convert(IN_CHANS[in_chans])
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        if name is None:
            name = "<bytes>" if isinstance(source, bytes) else os.fspath(source)
        raise DataError(f"cannot read image {name}: {e}") from None


def is_readable(path: str | os.PathLike) -> bool:
    """Whether PIL decodes ``path`` completely (a truncated JPEG fails, unlike ``verify()``).

    JPEGs are decoded at 1/8 scale (``draft``), which still reads every coded block.
    """
    try:
        with Image.open(path) as image:
            image.draft(image.mode, (1, 1))
            image.load()
        return True
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def unreadable_images(paths: Sequence[str]) -> set[str]:
    """The paths PIL cannot decode; shows a progress bar above :data:`PROGRESS_ABOVE` files."""
    progress = tqdm(paths, desc="checking images", unit="img", disable=len(paths) <= PROGRESS_ABOVE)
    return {p for p in progress if not is_readable(p)}
