"""``open_data``: find out which kind of data a path holds and open its train and val splits.

Accepted, tried in this order:

1. ``"sample"`` (the string): the embedded CIFAR-10 sample, its train and test splits;
   ``Path("sample")`` or ``"./sample"`` reaches a folder of that name instead.
2. A CIFAR-10 python folder (``data_batch_1`` .. ``data_batch_5``, ``test_batch``,
   ``batches.meta``), or a folder that contains ``cifar-10-batches-py``: train on the
   five batches, validate on ``test_batch``.
3. An ImageFolder tree with ``train/`` and ``val/`` (or ``test/``) subfolders,
   each ``<class>/<image>``; ``val/`` wins when both exist.
4. One ImageFolder tree ``root/<class>/<image>``, split by :mod:`.split`
   (seeded, stratified, ``val_fraction`` of each class to validation).

In the ``"cifar"`` style without an ``augment`` policy the images are decoded once into
memory and augmented a batch at a time (:mod:`.decoded`); otherwise each image is decoded
and transformed when it is read.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from .cifar_batches import FOLDER_NAME, find_cifar_folder, load_cifar10
from .datasets import ArrayImages, EncodedImages
from .decoded import MAX_DECODED_BYTES, DecodedImages, decode_images, decoded_bytes
from .errors import DataError
from .image_folder import ImageFiles, class_folders, drop_paths, scan_image_folder
from .images import unreadable_images
from .preprocessing import Preprocessing
from .sample import SAMPLE, read_sample, sample_path
from .split import stratified_split
from .transforms import check_augment, eval_transform, train_transform

VAL_NAMES = ("val", "test")
LAYOUTS = (f"'{SAMPLE}' (the embedded CIFAR-10 sample); a CIFAR-10 python folder ({FOLDER_NAME}); "
           "an ImageFolder tree with train/ and val/ (or test/) folders of <class>/<image>; "
           "or one ImageFolder tree <class>/<image>, split by val_fraction (--val-fraction)")


@dataclass
class DataSplits:
    """Train and validation datasets of ``(float32 CHW tensor, int label)`` items.

    ``skipped`` counts the unreadable images ``skip_corrupt`` left out; ``skipped_paths``
    names them, sorted.
    """

    train: Dataset
    val: Dataset
    classes: list[str]
    skipped: int = 0
    source: str = ""
    split: dict[str, Any] | None = None  # single tree: {"val_fraction", "seed"} that chose val
    root: str = ""  # "sample", or the resolved data folder
    skipped_paths: list[str] = field(default_factory=list)

    def skipped_summary(self, shown: int = 3) -> str:
        """``""``, or how many unreadable images were left out and the first ``shown`` of them."""
        if not self.skipped_paths:
            return ""
        more = len(self.skipped_paths) - shown
        return (f"skipped {len(self.skipped_paths)} unreadable image(s): {', '.join(self.skipped_paths[:shown])}"
                + (f" and {more} more" if more > 0 else ""))

    @property
    def origin(self) -> dict[str, Any]:
        """Where the images came from and how val was held out; training stores it in its
        checkpoints so that evaluation and calibration find the same split again."""
        return {"root": self.root, "split": self.split}


def _check_same_classes(train: list[str], val: list[str], train_where: str, val_where: str) -> None:
    if train != val:
        only_train, only_val = sorted(set(train) - set(val)), sorted(set(val) - set(train))
        raise DataError(f"{val_where} and {train_where} must have the same classes; "
                        f"only in {train_where}: {only_train or 'none'}; only in {val_where}: {only_val or 'none'}")


def _decodes(pre: Preprocessing, augment: str | None, count: int) -> bool:
    """Whether images are decoded once (:mod:`.decoded`) rather than on every read."""
    return pre.style == "cifar" and augment is None and decoded_bytes(count, pre) <= MAX_DECODED_BYTES


def _encoded(sources: list, labels: list[int], pre: Preprocessing, augment: str | None, train: bool,
             names: list[str] | None = None, cache_dir: str | os.PathLike | None = None,
             pixels: torch.Tensor | None = None) -> Dataset:
    """The dataset of image files or bytes ``sources``: decoded once when :func:`_decodes`
    (``pixels``, when given, are those images already decoded), else on every read."""
    if pixels is None and _decodes(pre, augment, len(sources)):
        pixels = decode_images(sources, pre, names=names, cache_dir=cache_dir,
                               desc=f"decoding {'train' if train else 'val'} images")
    if pixels is not None:
        return DecodedImages(pixels, labels, pre=pre, train=train, sources=sources)
    transform = train_transform(pre, augment) if train else eval_transform(pre)
    return EncodedImages(sources, labels, in_chans=pre.in_chans, transform=transform, names=names)


def _open_sample(pre: Preprocessing, augment: str | None) -> DataSplits:
    path = sample_path()
    splits = read_sample(path)
    datasets, classes = {}, {}
    for split, members in splits.items():
        names = [name for name, _ in members]
        classes[split] = sorted({name.split("/")[1] for name in names})
        labels = [classes[split].index(name.split("/")[1]) for name in names]
        datasets[split] = _encoded([data for _, data in members], labels, pre, augment, split == "train",
                                   names=[f"{path}:{name}" for name in names])
    _check_same_classes(classes["train"], classes["test"], f"{path}:train", f"{path}:test")
    return DataSplits(datasets["train"], datasets["test"], classes["train"], 0, "embedded CIFAR-10 sample")


def _open_cifar(folder: Path, pre: Preprocessing, augment: str | None) -> DataSplits:
    classes, (train_x, train_y), (test_x, test_y) = load_cifar10(folder)
    if _decodes(pre, augment, len(train_x)) and (pre.in_chans, pre.input_size) == train_x.shape[1:3]:
        return DataSplits(DecodedImages(torch.from_numpy(train_x), train_y, pre=pre, train=True),
                          DecodedImages(torch.from_numpy(test_x), test_y, pre=pre, train=False),
                          classes, 0, f"CIFAR-10 python batches {folder}")
    return DataSplits(
        ArrayImages(train_x, train_y, in_chans=pre.in_chans, transform=train_transform(pre, augment)),
        ArrayImages(test_x, test_y, in_chans=pre.in_chans, transform=eval_transform(pre)),
        classes, 0, f"CIFAR-10 python batches {folder}",
    )


def _skip_unreadable(trees: list[ImageFiles], skip_corrupt: bool) -> tuple[list[ImageFiles], list[str]]:
    """The trees without their unreadable images (when ``skip_corrupt``), and those images, sorted."""
    if not skip_corrupt:
        return trees, []
    paths = [p for tree in trees for p in tree.paths]
    bad = unreadable_images(paths)
    return [drop_paths(tree, bad) for tree in trees], sorted(bad)


def _images(files: ImageFiles, pre: Preprocessing, augment: str | None, train: bool,
            cache_dir: str | os.PathLike | None, indices: list[int] | None = None,
            pixels: torch.Tensor | None = None) -> Dataset:
    indices = range(len(files.paths)) if indices is None else indices
    if pixels is not None:
        pixels = pixels[list(indices)]
    return _encoded([files.paths[i] for i in indices], [files.labels[i] for i in indices], pre, augment, train,
                    cache_dir=cache_dir, pixels=pixels)


def _open_train_val(root: Path, val_dir: Path, pre: Preprocessing, augment: str | None,
                    skip_corrupt: bool, cache_dir: str | os.PathLike | None) -> DataSplits:
    train, val = scan_image_folder(root / "train"), scan_image_folder(val_dir)
    _check_same_classes(train.classes, val.classes, str(root / "train"), str(val_dir))
    (train, val), skipped = _skip_unreadable([train, val], skip_corrupt)
    return DataSplits(_images(train, pre, augment, True, cache_dir), _images(val, pre, augment, False, cache_dir),
                      train.classes, len(skipped), f"ImageFolder {root / 'train'} + {val_dir}",
                      skipped_paths=skipped)


def _open_single_tree(root: Path, pre: Preprocessing, augment: str | None, val_fraction: float, seed: int,
                      skip_corrupt: bool, cache_dir: str | os.PathLike | None) -> DataSplits:
    (files,), skipped = _skip_unreadable([scan_image_folder(root)], skip_corrupt)
    keys = [Path(p).relative_to(root).as_posix() for p in files.paths]
    train_idx, val_idx = stratified_split(keys, files.labels, val_fraction, seed)
    if not val_idx:
        raise DataError(f"{root}: every class has a single image, so none can be held out for validation "
                        "(a class needs at least 2 images)")
    pixels = (decode_images(files.paths, pre, cache_dir=cache_dir)
              if _decodes(pre, augment, len(files.paths)) else None)  # both splits' images, decoded once
    return DataSplits(_images(files, pre, augment, True, cache_dir, train_idx, pixels),
                      _images(files, pre, augment, False, cache_dir, val_idx, pixels), files.classes, len(skipped),
                      f"ImageFolder {root} split {len(train_idx)}/{len(val_idx)} "
                      f"(val_fraction {val_fraction}, seed {seed})",
                      split={"val_fraction": val_fraction, "seed": seed}, skipped_paths=skipped)


def open_data(root: str | os.PathLike, *, pre: Preprocessing, augment: str | None = None,
              val_fraction: float = 0.1, seed: int = 0, skip_corrupt: bool = False,
              cache_dir: str | os.PathLike | None = None) -> DataSplits:
    """Open ``root`` (see the module docstring for the layouts) as train and val datasets.

    The train split uses :func:`train_transform` (with ``augment``), the val split
    :func:`eval_transform`; images are converted to ``pre.in_chans`` channels. In an
    ImageFolder tree a corrupt image raises :class:`DataError` naming it when it is read
    (when the data is opened, in the decoded-once cifar style), unless ``skip_corrupt``: then every image file is decoded once here (a progress bar
    above a few thousand files) and unreadable ones are left out and counted in
    ``skipped`` (the sample and CIFAR-10 batches have no image files to check).
    ``val_fraction`` and ``seed`` shape the split of a single ImageFolder tree; every
    other layout brings its own validation split. ``cache_dir`` keeps the images decoded
    once (the ``"cifar"`` style without ``augment``) on disk for the next run (:mod:`.decoded`).
    """
    if not isinstance(pre, Preprocessing):
        raise DataError(f"pre must be a Preprocessing, got {type(pre).__name__}")
    check_augment(augment)
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) \
            or not math.isfinite(val_fraction) or not 0 < val_fraction < 1:
        raise DataError(f"val_fraction (--val-fraction) must be a number between 0 and 1 (exclusive), e.g. 0.1, "
                        f"got {val_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DataError(f"seed (--seed) must be an integer, got {seed!r}")
    if isinstance(root, str) and root == SAMPLE:
        splits = _open_sample(pre, augment)
        splits.root = SAMPLE
        return splits
    splits = _open_folder(Path(root), pre, augment, val_fraction, seed, skip_corrupt, cache_dir)
    splits.root = str(Path(root).resolve())
    return splits


def _open_folder(path: Path, pre: Preprocessing, augment: str | None, val_fraction: float, seed: int,
                 skip_corrupt: bool, cache_dir: str | os.PathLike | None) -> DataSplits:
    if not path.exists():
        raise DataError(f"data folder not found: {path}. Accepted: {LAYOUTS}")
    if not path.is_dir():
        raise DataError(f"{path} is a file, not a data folder. Accepted: {LAYOUTS}")
    if not any(not p.name.startswith(".") for p in path.iterdir()):
        raise DataError(f"data folder {path} is empty. Accepted: {LAYOUTS}")
    cifar = find_cifar_folder(path)
    if cifar is not None:
        return _open_cifar(cifar, pre, augment)
    val_dir = next((path / name for name in VAL_NAMES if (path / name).is_dir()), None)
    if (path / "train").is_dir() and val_dir is not None:
        return _open_train_val(path, val_dir, pre, augment, skip_corrupt, cache_dir)
    if (path / "train").is_dir() or val_dir is not None:
        found = "train/" if val_dir is None else f"{val_dir.name}/"
        wanted = "val/ or test/" if val_dir is None else "train/"
        raise DataError(f"{path} has {found} but no {wanted} beside it; give both, or put the class "
                        f"folders directly in {path} to have lightnets split them by val_fraction (--val-fraction)")
    if not class_folders(path):
        files = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        raise DataError(f"{path} holds no layout lightnets reads (it has only files: {shown}). Accepted: {LAYOUTS}")
    return _open_single_tree(path, pre, augment, val_fraction, seed, skip_corrupt, cache_dir)
