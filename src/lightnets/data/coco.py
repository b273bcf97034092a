"""COCO detection: an ``instances`` JSON file (images, annotations, categories) and a folder of images.

Read with plain :mod:`json` (no pycocotools). Category ids, possibly non-contiguous (COCO's 1..90 with gaps), become
the contiguous labels 1..K in the order of category id; label 0 is the background, so ``classes`` is
``["background", *category names]``, as torchvision's detection models count classes.

What cannot be trained on is refused when the file is opened, naming the file and the value: an annotation whose
``category_id`` is not a category, a box of zero or negative width or height, a box that passes the image border by
more than 1 pixel (one within 1 pixel is clipped to the image and counted in ``clipped``), images listed in the JSON
but missing from the folder (unless ``skip_missing``). Nothing is left out silently: ``iscrowd=1`` annotations
(crowd regions, which COCO's own evaluation ignores rather than scores) and, with ``skip_missing``, the missing images
and their annotations are counted in ``dropped``, and :meth:`CocoDetection.summary` says so in one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import torch
from PIL import Image
from torch.utils.data import Dataset

from .dense_transforms import to_tensor_pair
from .errors import DataError
from .images import load_image

BORDER_TOLERANCE = 1.0  # pixels a box may pass the image border by and be clipped instead of refused
SHOWN = 3  # missing files named in a message

DetectionPair = Callable[[Image.Image, dict[str, Any]], tuple[torch.Tensor, dict[str, Any]]]


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or a :class:`DataError` naming the file and what is wrong with it."""
    if not path.is_file():
        raise DataError(f"annotation file not found: {path}")
    try:
        data = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read annotation file {path}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(key), list)
                                             for key in ("images", "annotations", "categories")):
        raise DataError(f"{path} is not a COCO instances file: it needs the lists 'images', 'annotations' and "
                        "'categories'")
    return data


def _entry(path: Path, kind: str, entry: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(entry, dict) or any(key not in entry for key in keys):
        raise DataError(f"{path}: an entry of '{kind}' lacks one of {', '.join(keys)}: {entry!r:.200}")
    return entry


class CocoDetection(Dataset):
    """``(image float32 (3, H, W), target)`` items of one COCO instances file.

    ``target``: ``boxes`` float32 ``(K, 4)`` xyxy pixels in the transformed image, ``labels`` int64 ``(K,)`` in
    1..len(categories), ``image_id`` (the JSON's id) and ``orig_size`` ``(height, width)`` as the file lists it.
    ``transform(image, target)`` (e.g. :class:`~lightnets.data.dense_transforms.DetectionTransform`) maps the
    decoded PIL image and its target; without one the image is only converted to a tensor.
    """

    def __init__(self, annotation_file: str | os.PathLike, images_dir: str | os.PathLike, *,
                 transform: DetectionPair | None = None, skip_missing: bool = False):
        self.annotation_file, self.images_dir = Path(annotation_file), Path(images_dir)
        self.transform = to_tensor_pair if transform is None else transform
        data = read_json(self.annotation_file)
        path = self.annotation_file
        categories = sorted((_entry(path, "categories", c, ("id", "name")) for c in data["categories"]),
                            key=lambda c: c["id"])
        self.category_ids = [c["id"] for c in categories]
        self.label_of = {cid: label for label, cid in enumerate(self.category_ids, start=1)}
        self.classes = ["background", *(str(c["name"]) for c in categories)]
        images = [_entry(path, "images", i, ("id", "file_name", "width", "height")) for i in data["images"]]
        self.dropped = {"iscrowd": 0, "missing_images": 0, "missing_image_annotations": 0}
        self.clipped = 0
        self.missing_paths = self._check_files(images, skip_missing)
        missing = {os.fspath(p) for p in self.missing_paths}
        kept = [i for i in images if os.fspath(self.images_dir / i["file_name"]) not in missing]
        by_id = {i["id"]: i for i in images}
        kept_ids = {i["id"] for i in kept}
        boxes: dict[Any, list[list[float]]] = {i["id"]: [] for i in kept}
        labels: dict[Any, list[int]] = {i["id"]: [] for i in kept}
        for ann in data["annotations"]:
            ann = _entry(path, "annotations", ann, ("image_id", "bbox", "category_id"))
            if ann["image_id"] not in by_id:
                raise DataError(f"{path}: annotation id {ann.get('id')} refers to image_id {ann['image_id']!r}, "
                                "which is not in 'images'")
            if ann.get("iscrowd", 0):
                self.dropped["iscrowd"] += 1
                continue
            if ann["image_id"] not in kept_ids:
                self.dropped["missing_image_annotations"] += 1
                continue
            box = self._check_box(ann, by_id[ann["image_id"]])
            boxes[ann["image_id"]].append(box)
            labels[ann["image_id"]].append(self.label_of[ann["category_id"]])
        self.images = kept
        self.boxes = [torch.tensor(boxes[i["id"]], dtype=torch.float32).reshape(-1, 4) for i in kept]
        self.labels = [torch.tensor(labels[i["id"]], dtype=torch.int64) for i in kept]

    def _check_files(self, images: list[dict[str, Any]], skip_missing: bool) -> list[Path]:
        if not self.images_dir.is_dir():
            raise DataError(f"images folder not found: {self.images_dir} (for {self.annotation_file})")
        missing = [self.images_dir / i["file_name"] for i in images if not (self.images_dir / i["file_name"]).is_file()]
        if missing and not skip_missing:
            shown = ", ".join(str(p) for p in missing[:SHOWN]) + (f" and {len(missing) - SHOWN} more"
                                                                  if len(missing) > SHOWN else "")
            raise DataError(f"{len(missing)} of the {len(images)} images listed in {self.annotation_file} are "
                            f"missing: {shown}. Restore them, or leave them out and count them with "
                            "skip_missing=True")
        self.dropped["missing_images"] = len(missing)
        return missing

    def _check_box(self, ann: dict[str, Any], image: dict[str, Any]) -> list[float]:
        where = f"{self.annotation_file}: annotation id {ann.get('id')} of image {image['file_name']}"
        if ann["category_id"] not in self.label_of:
            raise DataError(f"{where} has category_id {ann['category_id']!r}, which is not in 'categories' "
                            f"(ids {self.category_ids})")
        bbox = ann["bbox"]
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            raise DataError(f"{where} has bbox {bbox!r}; a COCO bbox is [x, y, width, height] in pixels")
        x, y, w, h = (float(v) for v in bbox)
        if not (w > 0 and h > 0):
            raise DataError(f"{where} has bbox {bbox} with zero or negative width or height")
        width, height = float(image["width"]), float(image["height"])
        x1, y1, x2, y2 = x, y, x + w, y + h
        if x1 < -BORDER_TOLERANCE or y1 < -BORDER_TOLERANCE or x2 > width + BORDER_TOLERANCE \
                or y2 > height + BORDER_TOLERANCE:
            raise DataError(f"{where} has bbox {bbox} (xyxy {[x1, y1, x2, y2]}) outside the {image['width']}x"
                            f"{image['height']} image by more than {BORDER_TOLERANCE:g} pixel")
        clipped = [min(max(x1, 0.0), width), min(max(y1, 0.0), height), min(max(x2, 0.0), width),
                   min(max(y2, 0.0), height)]
        self.clipped += clipped != [x1, y1, x2, y2]
        return clipped

    def summary(self) -> str:
        """One line: images and boxes kept, and every annotation or image left out or clipped, by reason."""
        boxes = sum(len(b) for b in self.boxes)
        parts = [f"{self.dropped['iscrowd']} iscrowd annotations left out",
                 f"{self.dropped['missing_images']} missing images left out "
                 f"(with their {self.dropped['missing_image_annotations']} annotations)",
                 f"{self.clipped} boxes clipped to the image border"]
        return f"{self.annotation_file}: {len(self.images)} images, {boxes} boxes; " + "; ".join(parts)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, Any]]:
        info = self.images[index]
        path = self.images_dir / info["file_name"]
        image = load_image(path, 3)
        if image.size != (info["width"], info["height"]):
            raise DataError(f"{path} is {image.width}x{image.height}, but {self.annotation_file} lists it as "
                            f"{info['width']}x{info['height']} (width x height), so its boxes cannot be trusted")
        target = {"boxes": self.boxes[index].clone(), "labels": self.labels[index].clone(), "image_id": info["id"],
                  "orig_size": (info["height"], info["width"])}
        return self.transform(image, target)
