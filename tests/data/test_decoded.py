"""Small images decoded once and augmented a batch at a time (lightnets.data.decoded): what
open_data gives for the cifar style, the same pixels as the per-image pipeline, the crop and
flip a real augmentation, and a disk cache that is used only while the files are unchanged."""

import os

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from lightnets.data import DataError, EncodedImages, Preprocessing, open_data
from lightnets.data.decoded import DecodedImages, decode_images, pad_crop_flip
from lightnets.data.transforms import eval_transform


def test_the_cifar_style_is_decoded_once_and_evaluates_exactly_as_the_per_image_pipeline(tmp_path, make_tree):
    pre = Preprocessing.cifar(16)
    root = make_tree(tmp_path / "tree", {"cat": 6, "dog": 5}, size=(20, 14))  # another size: resized once
    data = open_data(root, pre=pre, val_fraction=0.4)
    assert isinstance(data.train, DecodedImages) and isinstance(data.val, DecodedImages)
    per_image = open_data(root, pre=Preprocessing.from_model(
        {"input_size": (3, 16, 16), "mean": pre.mean, "std": pre.std, "interpolation": "bilinear", "crop_pct": 1.0},
        3), val_fraction=0.4)  # the imagenet style reads each image when asked
    assert isinstance(per_image.val, EncodedImages)
    reference = EncodedImages(per_image.val.sources, per_image.val.labels, in_chans=3, transform=eval_transform(pre))
    for i in range(len(data.val)):
        assert torch.equal(data.val[i][0], reference[i][0]) and data.val[i][1] == reference[i][1]


def test_an_augment_policy_keeps_the_per_image_pipeline(tmp_path, make_tree):
    root = make_tree(tmp_path / "tree", {"cat": 3, "dog": 3})
    data = open_data(root, pre=Preprocessing.cifar(8), augment="trivialaugment", val_fraction=0.4)
    assert isinstance(data.train, EncodedImages)


def test_pad_crop_flip_gives_a_crop_of_the_padded_image_or_its_mirror():
    batch = torch.randint(0, 256, (64, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    out = pad_crop_flip(batch, padding=2)
    assert out.shape == batch.shape and out.dtype == torch.uint8
    padded = torch.nn.functional.pad(batch, (2,) * 4, mode="reflect")
    flips = 0
    for n in range(len(batch)):
        crops = [padded[n, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)]
        plain = any(torch.equal(out[n], c) for c in crops)
        mirrored = any(torch.equal(out[n], c.flip(-1)) for c in crops)
        assert plain or mirrored
        flips += mirrored and not plain
    assert 16 < flips < 48  # about half flipped
    torch.manual_seed(0)
    assert torch.equal(pad_crop_flip(batch, padding=2), out)  # the global generator decides


def test_batches_come_whole_through_a_dataloader_with_workers(tmp_path, make_tree):
    data = open_data(make_tree(tmp_path / "tree", {"a": 8, "b": 8}), pre=Preprocessing.cifar(8), val_fraction=0.25)
    for workers in (0, 1):
        x, y = next(iter(DataLoader(data.train, batch_size=4, shuffle=True, num_workers=workers)))
        assert x.shape == (4, 3, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64


def test_the_disk_cache_is_used_while_the_files_are_unchanged(tmp_path, make_tree):
    pre = Preprocessing.cifar(8)
    root = make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    paths = sorted(str(p) for p in root.rglob("*.png"))
    first = decode_images(paths, pre, cache_dir=tmp_path / "cache")
    (cached,) = (tmp_path / "cache").iterdir()
    np.save(cached, np.zeros_like(first.numpy()))  # a stand-in: shows whether the cache is read
    assert decode_images(paths, pre, cache_dir=tmp_path / "cache").sum() == 0
    os.utime(paths[0], ns=(0, 0))  # a changed file is another key: decoded again
    assert torch.equal(decode_images(paths, pre, cache_dir=tmp_path / "cache"), first)
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_corrupt_image_is_named_when_the_data_is_opened(tmp_path, make_tree):
    root = make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    (root / "a" / "001.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match=r"cannot read image .*001\.png.*--skip-corrupt"):
        open_data(root, pre=Preprocessing.cifar(8), val_fraction=0.4)
    assert len(open_data(root, pre=Preprocessing.cifar(8), val_fraction=0.4, skip_corrupt=True).train) == 3


def test_decoded_images_check_their_pixels():
    pre = Preprocessing.cifar(8)
    with pytest.raises(ValueError, match="expected uint8 pixels"):
        DecodedImages(torch.zeros(2, 3, 8, 8), [0, 1], pre=pre, train=False)
    with pytest.raises(ValueError, match="expected uint8 pixels"):
        DecodedImages(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), [0, 1], pre=pre, train=False)
