import json

import pytest
import torch
from PIL import Image

from lightnets.data import CocoDetection, DataError, open_detection_data

NORM = {"mean": (0.5,) * 3, "std": (0.5,) * 3}


def _coco(root, annotations, *, images=(("a.jpg", 40, 30), ("b.jpg", 40, 30)), write=("a.jpg", "b.jpg"),
          categories=((1, "cat"), (5, "dog")), name="instances.json"):
    """A COCO instances file at root/annotations/<name> and 40x30 images in root/images/."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    for file_name in write:
        Image.new("RGB", (40, 30), (90, 20, 200)).save(root / "images" / file_name)
    data = {"images": [{"id": i + 1, "file_name": f, "width": w, "height": h} for i, (f, w, h) in enumerate(images)],
            "annotations": [{"id": i + 1, "iscrowd": 0, **a} for i, a in enumerate(annotations)],
            "categories": [{"id": i, "name": n} for i, n in categories]}
    path = root / "annotations" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _ann(image_id=1, bbox=(2, 3, 10, 8), category_id=1, **extra):
    return {"image_id": image_id, "bbox": list(bbox), "category_id": category_id, **extra}


def test_items_and_contiguous_labels(tmp_path):
    path = _coco(tmp_path, [_ann(), _ann(bbox=(0, 0, 40, 30), category_id=5), _ann(image_id=2, category_id=5)],
                 categories=((90, "toothbrush"), (5, "dog"), (1, "cat")))
    data = CocoDetection(path, tmp_path / "images")
    assert data.classes == ["background", "cat", "dog", "toothbrush"]
    image, target = data[0]
    assert image.shape == (3, 30, 40) and image.dtype == torch.float32
    assert target["boxes"].dtype == torch.float32 and target["labels"].dtype == torch.int64
    assert target["boxes"].tolist() == [[2, 3, 12, 11], [0, 0, 40, 30]] and target["labels"].tolist() == [1, 2]
    assert target["image_id"] == 1 and target["orig_size"] == (30, 40)
    assert data[1][1]["labels"].tolist() == [2]


def test_missing_or_unreadable_annotation_file(tmp_path):
    with pytest.raises(DataError, match=f"annotation file not found: {tmp_path / 'none.json'}"):
        CocoDetection(tmp_path / "none.json", tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match=f"cannot read annotation file {tmp_path / 'bad.json'}"):
        CocoDetection(tmp_path / "bad.json", tmp_path)
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(DataError, match="is not a COCO instances file"):
        CocoDetection(tmp_path / "list.json", tmp_path)


def test_missing_images_refused_or_skipped_and_counted(tmp_path):
    images = [(f"{i}.jpg", 40, 30) for i in range(6)]
    path = _coco(tmp_path, [_ann(image_id=i) for i in (1, 2, 2, 6)], images=images, write=("0.jpg",))
    with pytest.raises(DataError, match=r"5 of the 6 images listed in .*instances.json are missing: "
                                        r".*1.jpg, .*2.jpg, .*3.jpg and 2 more.*skip_missing=True"):
        CocoDetection(path, tmp_path / "images")
    data = CocoDetection(path, tmp_path / "images", skip_missing=True)
    assert len(data) == 1
    assert data.dropped == {"iscrowd": 0, "missing_images": 5, "missing_image_annotations": 3}
    assert "5 missing images left out (with their 3 annotations)" in data.summary()


def test_box_past_the_border(tmp_path):
    path = _coco(tmp_path, [_ann(), _ann(bbox=(35, 3, 6.5, 8))])
    with pytest.raises(DataError, match=r"annotation id 2 of image a.jpg has bbox \[35, 3, 6.5, 8\].*outside the "
                                        r"40x30 image by more than 1 pixel"):
        CocoDetection(path, tmp_path / "images")


def test_box_within_one_pixel_is_clipped_and_counted(tmp_path):
    path = _coco(tmp_path, [_ann(bbox=(-0.5, 2, 41, 28.9)), _ann()])
    data = CocoDetection(path, tmp_path / "images")
    assert data[0][1]["boxes"].tolist()[0] == pytest.approx([0, 2, 40, 30])
    assert data.clipped == 1 and "1 boxes clipped" in data.summary()


@pytest.mark.parametrize("bbox", [(2, 3, 0, 8), (2, 3, 10, -1)])
def test_degenerate_box(tmp_path, bbox):
    path = _coco(tmp_path, [_ann(bbox=bbox)])
    with pytest.raises(DataError, match=r"annotation id 1 of image a.jpg has bbox .* zero or negative width"):
        CocoDetection(path, tmp_path / "images")


def test_unknown_category(tmp_path):
    path = _coco(tmp_path, [_ann(category_id=7)])
    with pytest.raises(DataError, match=r"annotation id 1 of image a.jpg has category_id 7, which is not in "
                                        r"'categories' \(ids \[1, 5\]\)"):
        CocoDetection(path, tmp_path / "images")


def test_crowd_annotations_left_out_and_counted(tmp_path):
    path = _coco(tmp_path, [_ann(), _ann(iscrowd=1), _ann(image_id=2, iscrowd=1)])
    data = CocoDetection(path, tmp_path / "images")
    assert data.dropped["iscrowd"] == 2 and len(data[0][1]["boxes"]) == 1 and len(data[1][1]["boxes"]) == 0
    assert "2 iscrowd annotations left out" in data.summary()


def test_image_size_differs_from_the_json(tmp_path):
    path = _coco(tmp_path, [_ann()], images=(("a.jpg", 50, 30), ("b.jpg", 40, 30)))
    with pytest.raises(DataError, match=r"a.jpg is 40x30, but .* lists it as 50x30"):
        CocoDetection(path, tmp_path / "images")[0]


def test_opener_layouts(tmp_path):
    for split in ("train2017", "val2017"):
        _coco(tmp_path / "coco2017", [_ann()], name=f"instances_{split}.json")
        (tmp_path / "coco2017" / "images").rename(tmp_path / "coco2017" / split)
    data = open_detection_data(tmp_path / "coco2017", size=32, **NORM)
    assert data.classes == ["background", "cat", "dog"] and data.root == str((tmp_path / "coco2017").resolve())
    image, target = data.val[0]
    assert image.shape == (3, 32, 32) and target["boxes"].tolist()[0] == pytest.approx([1.6, 3.2, 9.6, 11.7333],
                                                                                     abs=1e-4)
    _coco(tmp_path / "one", [_ann()], name="instances_train.json")
    with pytest.raises(DataError, match="has no annotations/instances_val"):
        open_detection_data(tmp_path / "one", size=32, **NORM)
    with pytest.raises(DataError, match="data folder not found"):
        open_detection_data(tmp_path / "nowhere", size=32, **NORM)


def test_opener_skip_missing_counts(tmp_path):
    for split in ("train", "val"):
        _coco(tmp_path, [_ann()], write=("a.jpg",), name=f"instances_{split}.json")
    with pytest.raises(DataError, match="1 of the 2 images"):
        open_detection_data(tmp_path, size=32, **NORM)
    data = open_detection_data(tmp_path, size=32, skip_missing=True, **NORM)
    assert data.skipped == 2 and data.skipped_paths == [str(tmp_path / "images" / "b.jpg")] * 2
