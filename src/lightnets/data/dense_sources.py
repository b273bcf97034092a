"""``open_detection_data`` and ``open_segmentation_data``: a folder (or ``"sample"``) as train and val datasets.

``"sample"`` (the string) is the pasted-scenes default (:func:`~lightnets.data.pasted.pasted_sample_dir`), built on
first use. A folder is read as:

- detection, COCO: ``annotations/instances_train*.json`` and ``annotations/instances_val*.json`` (one of each,
  e.g. ``instances_train.json`` or COCO 2017's ``instances_train2017.json``), the images of each split in the first
  that exists of ``images/<stem>``, ``<stem>`` (COCO 2017's ``train2017/``) and ``images/`` (both splits in one
  folder), where ``<stem>`` is the file name after ``instances_`` (``train``, ``train2017``);
- segmentation, PASCAL VOC: ``JPEGImages/``, ``SegmentationClass/``, ``ImageSets/Segmentation/{train,val}.txt``
  and an optional ``classes.txt`` (see :mod:`.voc_segmentation`).

The random parts of the train transforms draw from torch's default generator (see :mod:`.dense_transforms`); both
layouts bring their own val split, so nothing here needs a seed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..tasks.segmentation.targets import IGNORE_INDEX
from .coco import CocoDetection
from .dense_transforms import DetectionTransform, SegmentationTransform
from .errors import DataError
from .pasted import pasted_sample_dir
from .sample import SAMPLE
from .sources import DataSplits
from .voc_segmentation import VOCSegmentation

SPLIT_NAMES = ("train", "val")


def _root(path: str | os.PathLike) -> tuple[Path, bool]:
    """``(folder, is the sample)``, or a DataError for a missing path or a file."""
    if isinstance(path, str) and path == SAMPLE:
        return pasted_sample_dir(), True
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"data folder not found: {root}" if not root.exists() else f"{root} is a file, not a folder")
    return root, False


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DataError(f"size must be a positive integer (the square input side, e.g. 320), got {size!r}")


def coco_split_files(root: Path, split: str) -> tuple[Path, Path]:
    """``(annotation file, images folder)`` of ``split`` in a COCO folder (see the module docstring)."""
    found = sorted((root / "annotations").glob(f"instances_{split}*.json"))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} ({', '.join(p.name for p in found)})"
        raise DataError(f"{root} has {what} annotations/instances_{split}*.json; a COCO detection folder has one "
                        f"instances file per split (annotations/instances_train.json and instances_val.json, or "
                        "COCO 2017's instances_train2017.json and instances_val2017.json) beside its images")
    stem = found[0].stem.removeprefix("instances_")
    candidates = (root / "images" / stem, root / stem, root / "images")
    images = next((c for c in candidates if c.is_dir()), None)
    if images is None:
        raise DataError(f"no images folder for {found[0]}: looked for {', '.join(map(str, candidates))}")
    return found[0], images


def open_detection_data(path: str | os.PathLike, *, size: int, mean: Sequence[float], std: Sequence[float],
                        skip_missing: bool = False) -> DataSplits:
    """COCO detection train and val :class:`~lightnets.data.coco.CocoDetection` sets, squashed to ``size x size``.

    ``skipped`` / ``skipped_paths`` count and name the missing images ``skip_missing`` left out (both splits);
    each dataset's ``dropped`` and ``summary()`` say what else was left out.
    """
    _check_size(size)
    root, sample = _root(path)
    datasets = {}
    for split in SPLIT_NAMES:
        annotations, images = coco_split_files(root, split)
        datasets[split] = CocoDetection(annotations, images, skip_missing=skip_missing,
                                        transform=DetectionTransform(size, mean, std, train=split == "train"))
    train, val = datasets["train"], datasets["val"]
    if train.classes != val.classes:
        raise DataError(f"{train.annotation_file} and {val.annotation_file} must have the same categories; "
                        f"got {train.classes[1:]} and {val.classes[1:]}")
    missing = sorted(str(p) for d in (train, val) for p in d.missing_paths)
    source = "pasted-scenes sample" if sample else "COCO"
    return DataSplits(train, val, train.classes, len(missing), f"{source} {train.annotation_file} + "
                      f"{val.annotation_file}", root=SAMPLE if sample else str(root.resolve()), skipped_paths=missing)


def open_segmentation_data(path: str | os.PathLike, *, size: int, mean: Sequence[float], std: Sequence[float],
                           ignore_index: int = IGNORE_INDEX) -> DataSplits:
    """VOC-layout train and val :class:`~lightnets.data.voc_segmentation.VOCSegmentation` sets: train scaled 0.5-2x
    and cropped to ``size x size``, val resized to it (see :mod:`.dense_transforms`)."""
    _check_size(size)
    root, sample = _root(path)
    datasets = {split: VOCSegmentation(root, split, ignore_index=ignore_index,
                                       transform=SegmentationTransform(size, mean, std, train=split == "train",
                                                                       ignore_index=ignore_index))
                for split in SPLIT_NAMES}
    source = "pasted-scenes sample" if sample else "VOC"
    return DataSplits(datasets["train"], datasets["val"], datasets["train"].classes, 0, f"{source} {root}",
                      root=SAMPLE if sample else str(root.resolve()))
