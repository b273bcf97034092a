import numpy as np
import pytest
import torch
from PIL import Image

from lightnets.data import DataError, VOCSegmentation, open_segmentation_data
from lightnets.data.voc_segmentation import VOC_CLASSES


def _voc(root, masks, *, split="train", image_size=(12, 10), classes=None):
    """A VOC folder: one 12x10 image per ``masks`` entry (a uint8 array, or a PIL image), ids listed in the split."""
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    ids = []
    for i, mask in enumerate(masks):
        ids.append(f"{split}{i}")
        Image.new("RGB", image_size, (10, 200, 30)).save(root / "JPEGImages" / f"{split}{i}.jpg")
        (mask if isinstance(mask, Image.Image) else Image.fromarray(mask)).save(
            root / "SegmentationClass" / f"{split}{i}.png")
    (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    if classes is not None:
        (root / "classes.txt").write_text("\n".join(classes) + "\n")
    return root


def _mask(value=1, size=(10, 12)):
    mask = np.zeros(size, dtype=np.uint8)
    mask[2:5, 3:8] = value
    mask[1, :] = 255
    return mask


def test_items_and_default_classes(tmp_path):
    palette = Image.fromarray(_mask(20)).convert("P")
    palette.putpalette([v for i in range(256) for v in (i, 0, 255 - i)])
    data = VOCSegmentation(_voc(tmp_path, [_mask(), palette]), "train")
    assert data.classes == list(VOC_CLASSES) and len(data.classes) == 21
    image, mask = data[0]
    assert image.shape == (3, 10, 12) and image.dtype == torch.float32
    assert mask.dtype == torch.int64 and torch.equal(mask, torch.from_numpy(_mask()).long())
    assert torch.equal(data[1][1], torch.from_numpy(_mask(20)).long())


def test_classes_file(tmp_path):
    data = VOCSegmentation(_voc(tmp_path, [_mask(2)], classes=["background", "road", "car"]), "train")
    assert data.classes == ["background", "road", "car"] and data[0][1].max() == 255


def test_missing_split_file_image_and_mask(tmp_path):
    root = _voc(tmp_path, [_mask(), _mask()])
    with pytest.raises(DataError, match=f"split file not found: {root / 'ImageSets/Segmentation/val.txt'}"):
        VOCSegmentation(root, "val")
    (root / "SegmentationClass" / "train1.png").unlink()
    with pytest.raises(DataError, match=f"1 masks of the 2 ids in .*train.txt are missing: "
                                        f"{root / 'SegmentationClass/train1.png'}"):
        VOCSegmentation(root, "train")
    (root / "JPEGImages" / "train0.jpg").unlink()
    with pytest.raises(DataError, match=f"1 images of the 2 ids .* missing: {root / 'JPEGImages/train0.jpg'}"):
        VOCSegmentation(root, "train")


def test_mask_size_differs_from_its_image(tmp_path):
    root = _voc(tmp_path, [_mask(size=(10, 11))])
    with pytest.raises(DataError, match=r"mask .*train0.png is 11x10 but its image .*train0.jpg is 12x10"):
        VOCSegmentation(root, "train")[0]


def test_mask_value_neither_class_nor_ignore(tmp_path):
    root = _voc(tmp_path, [_mask(3)], classes=["background", "road", "car"])
    with pytest.raises(DataError, match=r"mask .*train0.png: label 3 is out of range: .*classes 0 to 2 or the "
                                        r"ignore index 255"):
        VOCSegmentation(root, "train")[0]


def test_rgb_mask_refused(tmp_path):
    root = _voc(tmp_path, [Image.new("RGB", (12, 10))])
    with pytest.raises(DataError, match=r"mask .*train0.png is a RGB image"):
        VOCSegmentation(root, "train")[0]


def test_ignore_index_must_not_be_a_class(tmp_path):
    root = _voc(tmp_path, [_mask()])
    with pytest.raises(DataError, match=r"ignore_index=3 is one of the 21 classes"):
        VOCSegmentation(root, "train", ignore_index=3)


def test_opener(tmp_path):
    _voc(tmp_path, [_mask(1)] * 2)
    _voc(tmp_path, [_mask(2)], split="val")
    data = open_segmentation_data(tmp_path, size=8, mean=(0.5,) * 3, std=(0.5,) * 3)
    assert (len(data.train), len(data.val)) == (2, 1) and data.source == f"VOC {tmp_path}"
    image, mask = data.val[0]
    assert image.shape == (3, 8, 8) and mask.shape == (8, 8) and set(mask.unique().tolist()) <= {0, 2, 255}
