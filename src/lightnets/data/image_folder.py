"""ImageFolder trees: ``root/<class>/**/<image>``, one folder per class, as torchvision reads them.

Classes are the sorted names of the non-hidden subfolders; images are the files under
each class folder (subfolders included) ending in one of
:data:`~lightnets.data.images.IMAGE_EXTENSIONS`, in sorted order. Other files and
hidden names (``.DS_Store``, ``._x.jpg``) are ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .images import IMAGE_EXTENSIONS, is_image_file


@dataclass
class ImageFiles:
    """The images of one tree: paths, labels indexing ``classes``."""

    root: Path
    classes: list[str]
    paths: list[str]
    labels: list[int]


def class_folders(root: Path) -> list[str]:
    """Sorted names of the non-hidden subfolders of ``root``."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def images_under(folder: Path) -> list[str]:
    """The image files under ``folder``, subfolders included (hidden ones skipped), sorted."""
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(parent, f) for f in files if is_image_file(f)]
    return sorted(found)


def scan_image_folder(root: Path) -> ImageFiles:
    """List the tree's images; a tree without class folders, or a class folder without
    images, is a :class:`DataError` naming the folder."""
    classes = class_folders(root)
    if not classes:
        loose = [p.name for p in root.iterdir() if p.is_file() and is_image_file(p.name)]
        hint = (f"; its {len(loose)} images lie directly in it, but each class needs its own subfolder"
                if loose else "")
        raise DataError(f"{root} has no class folders{hint}. An ImageFolder tree is {root}/<class>/<image>")
    paths, labels = [], []
    for label, name in enumerate(classes):
        images = images_under(root / name)
        if not images:
            raise DataError(f"class folder {root / name} has no images "
                            f"(looked for {', '.join(IMAGE_EXTENSIONS)}, any case)")
        paths += images
        labels += [label] * len(images)
    return ImageFiles(root, classes, paths, labels)


def drop_paths(files: ImageFiles, drop: set[str]) -> ImageFiles:
    """``files`` without ``drop``; a class left with no images is a :class:`DataError`."""
    kept = [(p, y) for p, y in zip(files.paths, files.labels) if p not in drop]
    emptied = sorted(set(range(len(files.classes))) - {y for _, y in kept})
    if emptied:
        folders = ", ".join(str(files.root / files.classes[y]) for y in emptied)
        raise DataError(f"no readable images left in class folder(s) {folders} after skipping corrupt files")
    return ImageFiles(files.root, files.classes, [p for p, _ in kept], [y for _, y in kept])
