"""Segmentation label maps: one class index per pixel, or the ignore index for pixels no class is scored on
(PASCAL VOC marks object boundaries and unlabelled pixels 255; Cityscapes maps its void classes to 255).

The ignore index must not be a class (it would silence a real class's pixels) and a label map may hold only
classes and the ignore index; both mistakes are refused with the value named, not left to a loss or a confusion
matrix to index out of range.
"""

from __future__ import annotations

import torch

IGNORE_INDEX = 255  # PASCAL VOC's and Cityscapes' "void"


def check_ignore_index(ignore_index: int | None, num_classes: int) -> int | None:
    """``ignore_index`` as given (``None``: every pixel is labelled), or a ValueError naming it."""
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise ValueError(f"ignore_index must be an integer (255 in PASCAL VOC and Cityscapes) or None, "
                         f"got {ignore_index!r}")
    if 0 <= ignore_index < num_classes:
        raise ValueError(f"ignore_index={ignore_index} is one of the {num_classes} classes (0 to {num_classes - 1}), "
                         f"so that class's pixels would be ignored; use a value outside that range, e.g. 255")
    return ignore_index


def check_target(target: torch.Tensor, num_classes: int, ignore_index: int | None) -> None:
    """Raise a ValueError unless ``target`` is an integer label map of classes 0..num_classes-1 and the ignore
    index, naming the first value that is neither."""
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise ValueError(f"a label map holds integer class indices, got dtype {target.dtype}")
    valid = (target >= 0) & (target < num_classes)
    if ignore_index is not None:
        valid |= target == ignore_index
    if not bool(valid.all()):
        bad = int(target[~valid][0])
        allowed = f"0 to {num_classes - 1}" + ("" if ignore_index is None else f" or the ignore index {ignore_index}")
        raise ValueError(f"label {bad} is out of range: the labels must be classes {allowed}")
