import io
import json
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from lightnets.data import (CocoDetection, DataError, VOCSegmentation, make_pasted_scenes, open_detection_data,
                            open_segmentation_data, pasted_sample_dir)
from lightnets.data import pasted
from lightnets.data.sample import CLASSES, read_sample

NORM = {"mean": (0.5,) * 3, "std": (0.5,) * 3}


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_boxes_are_the_mask_regions_bounding_boxes(pasted_scenes):
    for split in ("train", "val"):
        coco = json.loads((pasted_scenes / "annotations" / f"instances_{split}.json").read_text())
        assert len(coco["images"]) == {"train": 6, "val": 3}[split]
        names = {i["id"]: i["file_name"] for i in coco["images"]}
        for ann in coco["annotations"]:
            x, y, w, h = ann["bbox"]
            mask = np.array(Image.open(pasted_scenes / "SegmentationClass" / names[ann["image_id"]].replace(
                ".jpg", ".png")))
            inside = np.zeros_like(mask, dtype=bool)
            inside[y:y + h, x:x + w] = True
            region = inside & ((mask == ann["category_id"]) | (mask == 255))
            rows, cols = np.nonzero(region)
            assert [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1] == [x, y, x + w, y + h]
            rows, cols = np.nonzero(inside & (mask == ann["category_id"]))
            assert 0 <= cols.min() - x <= 3 and 0 <= x + w - cols.max() - 1 <= 3
            assert 0 <= rows.min() - y <= 3 and 0 <= y + h - rows.max() - 1 <= 3
        # every labelled pixel lies in one of its image's boxes
        for image_id, name in names.items():
            mask = np.array(Image.open(pasted_scenes / "SegmentationClass" / name.replace(".jpg", ".png")))
            covered = np.zeros_like(mask, dtype=bool)
            for ann in coco["annotations"]:
                if ann["image_id"] == image_id:
                    x, y, w, h = ann["bbox"]
                    covered[y:y + h, x:x + w] = True
            assert not ((mask != 0) & ~covered).any()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, pasted_scenes):
    again = make_pasted_scenes(tmp_path / "again", train_images=6, val_images=3, size=64)
    assert _files(again) == _files(pasted_scenes)
    other = make_pasted_scenes(tmp_path / "other", train_images=6, val_images=3, size=64, seed=1)
    assert _files(other)["JPEGImages/train_000000.jpg"] != _files(pasted_scenes)["JPEGImages/train_000000.jpg"]


def test_layout_and_shared_jpegs(pasted_scenes):
    assert (pasted_scenes / "classes.txt").read_text().split() == ["background", *CLASSES]
    ids = (pasted_scenes / "ImageSets" / "Segmentation" / "val.txt").read_text().split()
    assert ids == ["val_000000", "val_000001", "val_000002"]
    for name in ids:
        assert (pasted_scenes / "images" / f"{name}.jpg").read_bytes() == \
            (pasted_scenes / "JPEGImages" / f"{name}.jpg").read_bytes()
    coco = json.loads((pasted_scenes / "annotations" / "instances_train.json").read_text())
    assert [c["id"] for c in coco["categories"]] == list(range(1, 11))
    assert [c["name"] for c in coco["categories"]] == list(CLASSES)


def test_a_failed_build_leaves_nothing(tmp_path, monkeypatch):
    real = pasted._write_split

    def fail_on_val(root, split, *args):
        if split == "val":
            raise RuntimeError("killed mid-build")
        real(root, split, *args)

    monkeypatch.setattr(pasted, "_write_split", fail_on_val)
    with pytest.raises(RuntimeError, match="killed mid-build"):
        make_pasted_scenes(tmp_path / "scenes", train_images=2, val_images=1, size=32)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_and_bad_settings_refused(tmp_path):
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "keep.txt").write_text("mine")
    with pytest.raises(DataError, match=r"scenes already exists"):
        make_pasted_scenes(tmp_path / "scenes", train_images=1, val_images=1, size=32)
    assert (tmp_path / "scenes" / "keep.txt").read_text() == "mine"
    with pytest.raises(DataError, match="size must be an integer >= 32, got 16"):
        make_pasted_scenes(tmp_path / "new", size=16)
    with pytest.raises(DataError, match="scene source not found: .*nope.tar.gz"):
        make_pasted_scenes(tmp_path / "new", source=tmp_path / "nope.tar.gz")


def test_builds_from_a_cifar_jpeg_tar(tmp_path):
    """The layout of ../shared/data/cifar10-jpeg.tar.gz: cifar10/{train,test}/<class>/<image>.jpg."""
    archive = tmp_path / "cifar10-jpeg.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for split, members in read_sample().items():
            for name, data in members[::50]:
                info = tarfile.TarInfo(f"cifar10/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = make_pasted_scenes(tmp_path / "scenes", source=archive, train_images=3, val_images=2, size=48)
    data = open_detection_data(out, size=32, **NORM)
    assert data.classes == ["background", *CLASSES] and (len(data.train), len(data.val)) == (3, 2)


def test_readers_read_the_pasted_output(pasted_scenes):
    coco = CocoDetection(pasted_scenes / "annotations" / "instances_train.json", pasted_scenes / "images")
    voc = VOCSegmentation(pasted_scenes, "train")
    assert coco.classes == voc.classes == ["background", *CLASSES]
    assert len(coco) == len(voc) == 6
    for index in range(len(coco)):
        image, target = coco[index]
        voc_image, mask = voc[index]
        assert torch.equal(image, voc_image) and image.shape == (3, 64, 64)
        assert set(target["labels"].tolist()) == set(mask.unique().tolist()) - {0, 255}
    assert sum(coco.dropped.values()) == 0 and coco.clipped == 0


def test_sample_is_built_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(pasted, "SAMPLE_SCENES", {"train_images": 3, "val_images": 2, "size": 32, "seed": 0})
    path = pasted_sample_dir()
    assert path == tmp_path / "cache" / "lightnets" / f"pasted-scenes-v{pasted.VERSION}-3-2-32-0"
    stamp = (path / "scenes.json").stat().st_mtime_ns
    assert pasted_sample_dir() == path and (path / "scenes.json").stat().st_mtime_ns == stamp
    detection = open_detection_data("sample", size=32, **NORM)
    segmentation = open_segmentation_data("sample", size=32, **NORM)
    assert detection.origin == segmentation.origin == {"root": "sample", "split": None}
    assert detection.classes == segmentation.classes == ["background", *CLASSES]
    assert (len(detection.train), len(segmentation.val)) == (3, 2)
