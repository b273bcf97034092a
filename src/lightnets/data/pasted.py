"""Pasted scenes: a detection and segmentation set made from real CIFAR-10 photos, so dense training runs with no
download (the ``"sample"`` of :func:`~lightnets.data.open_detection_data` and
:func:`~lightnets.data.open_segmentation_data`).

Each scene is a CIFAR image upscaled to ``size x size`` and blurred (Gaussian, radius ``size / 80``) so that it reads
as background, of a class none of its objects has, with 1 to 3 other CIFAR images pasted on it, each upscaled to 20%
to 60% of ``size`` a side (32 to 96 pixels at 160) and cut out by an elliptical matte. The matte is soft across
about 2 pixels at the ellipse's edge, and exactly those pixels are marked 255 (ignore) in the mask, as VOC marks its
object boundaries; inside the ring the mask holds the object's CIFAR class (1..10), outside it 0 (background). Each
object's box is the ellipse's bounding box, in pixels; objects' boxes never overlap, so every box is its mask region's
bounding box (class pixels and ring together). Train scenes use the source's train images, val scenes its test
images.

The output holds both layouts at once. The JPEGs are written once, into ``JPEGImages/``, and ``images/`` holds hard
links to the same files (copies where the file system has no hard links): both readers find real files where they
expect them, no symlink needs privileges (Windows), and the scenes take the disk space of one set.

- COCO: ``images/*.jpg``, ``annotations/instances_{train,val}.json`` (categories 1..10 = the CIFAR class names);
- VOC: ``JPEGImages/*.jpg``, ``SegmentationClass/*.png`` (palette PNGs, VOC's colour map),
  ``ImageSets/Segmentation/{train,val}.txt``, ``classes.txt`` (background first);
- ``scenes.json``: the settings that made it.

The same settings give the same bytes. The set is built in a temporary folder beside ``out_dir`` and renamed into
place, so a build that fails or is killed leaves no ``out_dir``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from ..io import user_cache_dir
from ..tasks.segmentation.targets import IGNORE_INDEX
from .errors import DataError
from .sample import read_sample, sample_path

VERSION = 1  # of the recipe below; the sample's cache folder is named after it
SPLITS = {"train": "train", "val": "test"}  # scene split -> source split
OBJECTS = (1, 3)  # objects per scene, inclusive
OBJECT_SIDE = (0.2, 0.6)  # of the scene's size
ASPECT = (0.75, 1.33)  # object height / width
RING = 1.0  # pixels each side of the ellipse's edge: the soft matte, marked ignore
PLACEMENT_TRIES = 20
JPEG_QUALITY = 90
MIN_SIZE = 32
SAMPLE_SCENES = {"train_images": 400, "val_images": 100, "size": 160, "seed": 0}

Source = dict[str, list[tuple[str, bytes]]]  # split -> [(class, JPEG bytes)] sorted by member name


def read_source(source: str | os.PathLike | None) -> tuple[list[str], Source]:
    """``(classes, {split: [(class, JPEG bytes), ...]})`` of the embedded sample (``None``) or a CIFAR-JPEG tar.gz
    holding ``.../{train,test}/<class>/<image>.jpg``."""
    if source is None:
        members = {split: sorted(files) for split, files in read_sample().items()}
        where = sample_path()
    else:
        where = Path(source)
        if not where.is_file():
            raise DataError(f"scene source not found: {where} (a tar.gz of {{train,test}}/<class>/<image>.jpg)")
        members = {split: [] for split in SPLITS.values()}
        try:
            with tarfile.open(where, "r:*") as archive:
                for member in archive:
                    parts = member.name.split("/")
                    if member.isfile() and len(parts) >= 3 and parts[-3] in members:
                        members[parts[-3]].append(("/".join(parts[-3:]), archive.extractfile(member).read()))
        except (tarfile.TarError, OSError, EOFError) as e:
            raise DataError(f"cannot read scene source {where}: {e}") from None
        members = {split: sorted(files) for split, files in members.items()}
    split_files = {split: [(name.split("/")[-2], data) for name, data in files] for split, files in members.items()}
    classes = sorted({cls for files in split_files.values() for cls, _ in files})
    for split, files in split_files.items():
        if len({cls for cls, _ in files}) < 2:
            raise DataError(f"{where}: its {split}/ split has images of {len({c for c, _ in files})} classes; "
                            f"pasted scenes need at least 2 (objects and a background of another class)")
    return classes, split_files


def _voc_palette() -> list[int]:
    """PASCAL VOC's colour map (its devkit's ``labelcolormap``), 256 RGB triples."""
    palette = []
    for label in range(256):
        r = g = b = 0
        for bit in range(8):
            r |= ((label >> 0) & 1) << (7 - bit)
            g |= ((label >> 1) & 1) << (7 - bit)
            b |= ((label >> 2) & 1) << (7 - bit)
            label >>= 3
        palette += [r, g, b]
    return palette


def _place(rng: np.random.Generator, size: int, placed: list[list[int]]) -> list[int] | None:
    """``[x0, y0, w, h]`` of a new object not touching any ``placed`` one, or None after :data:`PLACEMENT_TRIES`."""
    lo, hi = round(size * OBJECT_SIDE[0]), round(size * OBJECT_SIDE[1])
    for _ in range(PLACEMENT_TRIES):
        w = int(rng.integers(lo, hi + 1))
        h = int(np.clip(round(w * rng.uniform(*ASPECT)), lo, hi))
        x0, y0 = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        if all(x0 >= x + pw or x0 + w <= x or y0 >= y + ph or y0 + h <= y for x, y, pw, ph in placed):
            return [x0, y0, w, h]
    return None


def _edge_distance(w: int, h: int) -> np.ndarray:
    """Per pixel of a ``h x w`` patch, about how many pixels its centre lies inside (+) or outside (-) the
    inscribed ellipse's edge."""
    yy = (np.arange(h, dtype=np.float64) + 0.5 - h / 2) / (h / 2)
    xx = (np.arange(w, dtype=np.float64) + 0.5 - w / 2) / (w / 2)
    radius = np.sqrt(yy[:, None] ** 2 + xx[None, :] ** 2)
    return (1 - radius) * min(w, h) / 2


def _scene(rng: np.random.Generator, files: list[tuple[str, bytes]], classes: list[str],
           size: int) -> tuple[Image.Image, Image.Image, list[tuple[list[int], int]]]:
    """``(scene, mask, [(box [x0, y0, w, h], label 1..K), ...])``."""
    by_class = {cls: [data for c, data in files if c == cls] for cls in classes}
    present = [cls for cls in classes if by_class[cls]]
    count = int(rng.integers(OBJECTS[0], min(OBJECTS[1], len(present) - 1) + 1))
    placed: list[list[int]] = []
    objects = []
    for _ in range(count):
        box = _place(rng, size, placed)
        if box is None:
            break
        cls = present[int(rng.integers(len(present)))]
        placed.append(box)
        objects.append((box, cls, by_class[cls][int(rng.integers(len(by_class[cls])))]))
    backgrounds = [cls for cls in present if cls not in {cls for _, cls, _ in objects}]
    background = backgrounds[int(rng.integers(len(backgrounds)))]
    with Image.open(io.BytesIO(by_class[background][int(rng.integers(len(by_class[background])))])) as image:
        scene = image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
    pixels = np.asarray(scene.filter(ImageFilter.GaussianBlur(size / 80)), dtype=np.float32).copy()
    mask = np.zeros((size, size), dtype=np.uint8)
    for (x0, y0, w, h), cls, data in objects:
        with Image.open(io.BytesIO(data)) as image:
            patch = np.asarray(image.convert("RGB").resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)
        distance = _edge_distance(w, h)
        alpha = np.clip(distance / (2 * RING) + 0.5, 0, 1)[:, :, None].astype(np.float32)
        region = pixels[y0:y0 + h, x0:x0 + w]
        region[:] = alpha * patch + (1 - alpha) * region
        labels = mask[y0:y0 + h, x0:x0 + w]
        labels[distance >= RING] = classes.index(cls) + 1
        labels[np.abs(distance) < RING] = IGNORE_INDEX
    scene = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
    mask_image = Image.fromarray(mask).convert("P")
    mask_image.putpalette(_voc_palette())
    return scene, mask_image, [(box, classes.index(cls) + 1) for box, cls, _ in objects]


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _write_split(root: Path, split: str, count: int, files: list[tuple[str, bytes]], classes: list[str],
                 size: int, seed: int) -> None:
    rng = np.random.default_rng([seed, list(SPLITS).index(split)])
    images, annotations, ids = [], [], []
    for index in range(count):
        scene, mask, objects = _scene(rng, files, classes, size)
        name = f"{split}_{index:06d}"
        scene.save(root / "JPEGImages" / f"{name}.jpg", quality=JPEG_QUALITY)
        _link(root / "JPEGImages" / f"{name}.jpg", root / "images" / f"{name}.jpg")
        mask.save(root / "SegmentationClass" / f"{name}.png")
        ids.append(name)
        images.append({"id": index + 1, "file_name": f"{name}.jpg", "width": size, "height": size})
        for box, label in objects:
            annotations.append({"id": len(annotations) + 1, "image_id": index + 1, "category_id": label,
                                "bbox": box, "area": round(float(np.pi * box[2] * box[3] / 4), 2), "iscrowd": 0})
    categories = [{"id": label, "name": cls, "supercategory": "cifar10"} for label, cls in enumerate(classes, 1)]
    coco = {"images": images, "annotations": annotations, "categories": categories}
    (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))


def _check_count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DataError(f"{name} must be an integer >= {minimum}, got {value!r}")


def make_pasted_scenes(out_dir: str | os.PathLike, *, source: str | os.PathLike | None = None,
                       train_images: int = SAMPLE_SCENES["train_images"], val_images: int = SAMPLE_SCENES["val_images"],
                       size: int = SAMPLE_SCENES["size"], seed: int = 0) -> Path:
    """Build ``train_images`` + ``val_images`` pasted scenes of ``size x size`` into ``out_dir`` (see the module
    docstring for the layout) from ``source`` (``None``: the embedded CIFAR-10 sample; else a CIFAR-JPEG tar.gz such
    as ``../shared/data/cifar10-jpeg.tar.gz``), and return ``out_dir``. An existing, non-empty ``out_dir`` is
    refused, never overwritten."""
    for name, value, minimum in (("train_images", train_images, 1), ("val_images", val_images, 1),
                                 ("size", size, MIN_SIZE)):
        _check_count(name, value, minimum)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise DataError(f"{out_dir} already exists and is not an empty folder; remove it or choose another")
    classes, split_files = read_source(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        for folder in ("JPEGImages", "images", "SegmentationClass", "annotations", "ImageSets/Segmentation"):
            (tmp / folder).mkdir(parents=True)
        for split, count in (("train", train_images), ("val", val_images)):
            _write_split(tmp, split, count, split_files[SPLITS[split]], classes, size, seed)
        (tmp / "classes.txt").write_text("".join(f"{c}\n" for c in ["background", *classes]))
        settings = {"version": VERSION, "source": "embedded CIFAR-10 sample" if source is None else Path(source).name,
                    "train_images": train_images, "val_images": val_images, "size": size, "seed": seed}
        (tmp / "scenes.json").write_text(json.dumps(settings, indent=2) + "\n")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp's 0700 -> the mode mkdir would give
        try:
            os.rename(tmp, out_dir)
        except OSError:
            raise DataError(f"{out_dir} appeared while the scenes were being built; remove it or choose "
                            "another folder") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def pasted_sample_dir() -> Path:
    """The embedded dense sample (400 train and 100 val scenes of 160 x 160 from the embedded CIFAR-10 sample), built
    on first use into :func:`~lightnets.io.user_cache_dir` (``$XDG_CACHE_HOME/lightnets`` or ``~/.cache/lightnets``)
    and reused after; the folder's name carries the recipe's :data:`VERSION` and settings."""
    s = SAMPLE_SCENES
    path = user_cache_dir() / f"pasted-scenes-v{VERSION}-{s['train_images']}-{s['val_images']}-{s['size']}-{s['seed']}"
    if not path.is_dir():
        try:
            make_pasted_scenes(path, **s)
        except DataError:
            if not path.is_dir():  # else another process built it meanwhile: the same bytes
                raise
    return path
