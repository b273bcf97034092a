import os
import pickle
import shutil
from collections import Counter

import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from lightnets.data import DataError, Preprocessing, open_data


@pytest.mark.parametrize("val_name", ["val", "test"])
def test_train_and_val_folders(tmp_path, make_tree, pre, val_name):
    make_tree(tmp_path / "train", {"cat": 3, "dog": 2}, ext=".png")
    make_tree(tmp_path / val_name, {"cat": 1, "dog": 2}, ext=".JPG")
    data = open_data(tmp_path, pre=pre)
    assert data.classes == ["cat", "dog"]
    assert (len(data.train), len(data.val), data.skipped) == (5, 3, 0)
    assert data.train.labels == [0, 0, 0, 1, 1] and data.val.labels == [0, 1, 1]
    assert data.source == f"ImageFolder {tmp_path / 'train'} + {tmp_path / val_name}"
    image, label = data.val[2]
    assert image.shape == (3, 16, 16) and image.dtype == torch.float32 and label == 1


def test_val_wins_over_test(tmp_path, make_tree, pre):
    for split, n in (("train", 2), ("val", 1), ("test", 3)):
        make_tree(tmp_path / split, {"a": n, "b": n})
    assert len(open_data(tmp_path, pre=pre).val) == 2


def test_extensions_hidden_files_and_subfolders(tmp_path, make_tree, pre, write_image):
    for ext in (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".PNG"):
        write_image(tmp_path / "a" / f"x{ext}")
    write_image(tmp_path / "a" / "nested" / "deeper.png")
    write_image(tmp_path / "a" / "._hidden.jpg")
    write_image(tmp_path / "a" / "picture.tiff")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    make_tree(tmp_path, {"b": 2})
    write_image(tmp_path / ".cache" / "c.png")  # a hidden folder is not a class
    data = open_data(tmp_path, pre=pre, val_fraction=0.5)
    assert data.classes == ["a", "b"]
    assert Counter(data.train.labels + data.val.labels) == {0: 7, 1: 2}


def test_single_tree_split_is_stratified_seeded_and_disjoint(tmp_path, make_tree, pre):
    make_tree(tmp_path, {"a": 10, "b": 20, "c": 1})
    data = open_data(tmp_path, pre=pre, val_fraction=0.2, seed=3)
    train, val = set(data.train.sources), set(data.val.sources)
    assert not train & val and len(train | val) == 31
    assert Counter(data.val.labels) == {0: 2, 1: 4}  # 20% of each class; the 1-image class stays in train
    assert Counter(data.train.labels) == {0: 8, 1: 16, 2: 1}
    assert data.source == f"ImageFolder {tmp_path} split 25/6 (val_fraction 0.2, seed 3)"
    again = open_data(tmp_path, pre=pre, val_fraction=0.2, seed=3)
    assert again.val.sources == data.val.sources and again.train.sources == data.train.sources
    other = open_data(tmp_path, pre=pre, val_fraction=0.2, seed=4)
    assert set(other.val.sources) != val and Counter(other.val.labels) == {0: 2, 1: 4}


def test_split_depends_on_names_not_location(tmp_path, make_tree, pre):
    make_tree(tmp_path / "one", {"a": 8, "b": 8})
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    one, two = (open_data(tmp_path / name, pre=pre, val_fraction=0.25) for name in ("one", "two"))
    assert [os.path.relpath(p, tmp_path / "one") for p in one.val.sources] == \
        [os.path.relpath(p, tmp_path / "two") for p in two.val.sources]


def test_every_class_a_single_image(tmp_path, make_tree, pre):
    make_tree(tmp_path, {"a": 1, "b": 1})
    with pytest.raises(DataError, match="every class has a single image"):
        open_data(tmp_path, pre=pre)


@pytest.mark.parametrize("mode, color", [("L", 128), ("RGBA", (200, 100, 50, 0)), ("P", 3), ("LA", (60, 255))])
def test_image_modes_convert_to_in_chans(tmp_path, mode, color, write_image):
    for cls in ("a", "b"):
        write_image(tmp_path / "train" / cls / "x.png", size=(16, 16), mode=mode, color=color)
        write_image(tmp_path / "val" / cls / "x.png", size=(16, 16), mode=mode, color=color)
    reference = Image.new(mode, (1, 1), color)
    for in_chans, pil_mode in ((3, "RGB"), (1, "L")):
        pre = Preprocessing.cifar(input_size=16, in_chans=in_chans)
        image, _ = open_data(tmp_path, pre=pre).val[0]
        expected = torch.tensor(reference.convert(pil_mode).getpixel((0, 0)), dtype=torch.float32).view(-1, 1, 1)
        mean, std = torch.tensor(pre.mean).view(-1, 1, 1), torch.tensor(pre.std).view(-1, 1, 1)
        torch.testing.assert_close(image, ((expected / 255 - mean) / std).expand(in_chans, 16, 16))


def test_rgba_keeps_the_colour_under_transparency(tmp_path, write_image):
    write_image(tmp_path / "train" / "a" / "x.png", mode="RGBA", color=(200, 100, 50, 0))
    write_image(tmp_path / "val" / "a" / "x.png", mode="RGBA", color=(200, 100, 50, 0))
    pre = Preprocessing(8, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), crop_pct=1.0)
    image, _ = open_data(tmp_path, pre=pre).val[0]
    torch.testing.assert_close(image[:, 0, 0], torch.tensor([200, 100, 50]) / 255)


def test_corrupt_image_raises_naming_the_file_or_is_skipped(tmp_path, make_tree, per_image_pre, write_image):
    pre = per_image_pre  # read on access; the cifar style names it when opening (tests/data/test_decoded.py)
    make_tree(tmp_path / "train", {"a": 2, "b": 2})
    make_tree(tmp_path / "val", {"a": 1, "b": 1})
    garbage = tmp_path / "train" / "b" / "zz_garbage.jpg"
    garbage.write_bytes(b"this is not a jpeg")
    truncated_png = tmp_path / "val" / "a" / "zz_truncated.png"
    good = write_image(truncated_png, size=(64, 64)).read_bytes()
    truncated_png.write_bytes(good[: len(good) // 2])
    truncated_jpeg = tmp_path / "train" / "a" / "zz_truncated.jpg"  # passes PIL's verify(), fails to decode
    good = write_image(truncated_jpeg, size=(64, 64)).read_bytes()
    truncated_jpeg.write_bytes(good[: len(good) // 2])

    data = open_data(tmp_path, pre=pre)
    assert (len(data.train), len(data.val), data.skipped) == (6, 3, 0)
    with pytest.raises(DataError, match=rf"cannot read image {garbage}: .*--skip-corrupt in `lightnets train` "
                                        r"and `lightnets eval`, open_data\(\.\.\., skip_corrupt=True\) in Python"):
        data.train[5]
    with pytest.raises(DataError, match=rf"cannot read image {truncated_jpeg}: image file is truncated"):
        data.train[2]
    with pytest.raises(DataError, match=rf"cannot read image {truncated_png}"):
        next(iter(DataLoader(data.val, batch_size=3)))

    data = open_data(tmp_path, pre=pre, skip_corrupt=True)
    assert (len(data.train), len(data.val), data.skipped) == (4, 2, 3)
    assert data.skipped_paths == sorted(map(str, (garbage, truncated_jpeg, truncated_png)))
    assert data.skipped_summary(shown=2) == f"skipped 3 unreadable image(s): {truncated_jpeg}, {garbage} and 1 more"
    assert not {str(garbage), str(truncated_jpeg), str(truncated_png)} & {*data.train.sources, *data.val.sources}
    assert all(image.shape == (3, 16, 16) for image, _ in data.train)


def test_a_class_left_without_readable_images(tmp_path, make_tree, per_image_pre):
    pre = per_image_pre
    make_tree(tmp_path, {"a": 3})
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "broken.png").write_bytes(b"\x89PNG broken")
    assert open_data(tmp_path, pre=pre).classes == ["a", "b"]
    with pytest.raises(DataError, match=rf"no readable images left in class folder\(s\) {tmp_path / 'b'} after"):
        open_data(tmp_path, pre=pre, skip_corrupt=True)


def test_datasets_pickle_and_work_in_dataloader_workers(tmp_path, make_tree, pre):
    make_tree(tmp_path, {"a": 6, "b": 6})
    data = open_data(tmp_path, pre=pre, val_fraction=0.5, augment="trivialaugment")
    clone = pickle.loads(pickle.dumps(data.val))
    torch.testing.assert_close(clone[0][0], data.val[0][0])
    loader = DataLoader(data.train, batch_size=4, num_workers=2, multiprocessing_context="fork")
    batches = list(loader)
    assert sum(len(labels) for _, labels in batches) == 6
    assert batches[0][0].shape == (4, 3, 16, 16) and batches[0][1].dtype == torch.int64


# --- errors ---------------------------------------------------------------------------

def test_missing_folder(tmp_path, pre):
    with pytest.raises(DataError, match=rf"data folder not found: {tmp_path / 'nope'}\. Accepted: 'sample'.*"
                                        r"cifar-10-batches-py.*train/ and val/"):
        open_data(tmp_path / "nope", pre=pre)


def test_a_file_instead_of_a_folder(tmp_path, pre, write_image):
    write_image(tmp_path / "x.png")
    with pytest.raises(DataError, match=rf"{tmp_path / 'x.png'} is a file, not a data folder"):
        open_data(tmp_path / "x.png", pre=pre)


def test_empty_folder(tmp_path, pre):
    (tmp_path / ".DS_Store").write_text("")
    with pytest.raises(DataError, match=rf"data folder {tmp_path} is empty\. Accepted:"):
        open_data(tmp_path, pre=pre)


def test_unknown_layout(tmp_path, pre, write_image):
    for i in range(7):
        write_image(tmp_path / f"img{i}.png")
    with pytest.raises(DataError, match=rf"{tmp_path} holds no layout lightnets reads \(it has only files: "
                                        r"img0.png, img1.png, img2.png, img3.png, img4.png and 2 more\)\. Accepted:"):
        open_data(tmp_path, pre=pre)


def test_class_folder_without_images(tmp_path, make_tree, pre):
    make_tree(tmp_path, {"a": 2})
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "readme.txt").write_text("")
    with pytest.raises(DataError, match=rf"class folder {tmp_path / 'b'} has no images \(looked for .jpg, .jpeg, "
                                        r".png, .bmp, .webp, any case\)"):
        open_data(tmp_path, pre=pre)


def test_train_folder_without_class_folders(tmp_path, pre, write_image):
    write_image(tmp_path / "train" / "x.png")
    write_image(tmp_path / "val" / "a" / "x.png")
    with pytest.raises(DataError, match=rf"{tmp_path / 'train'} has no class folders; its 1 images lie directly"):
        open_data(tmp_path, pre=pre)


def test_val_classes_differ(tmp_path, make_tree, pre):
    make_tree(tmp_path / "train", {"cat": 1, "dog": 1, "fox": 1})
    make_tree(tmp_path / "val", {"bird": 1, "cat": 1, "fox": 1})
    train, val = tmp_path / "train", tmp_path / "val"
    with pytest.raises(DataError, match=rf"{val} and {train} must have the same classes; "
                                        rf"only in {train}: \['dog'\]; only in {val}: \['bird'\]"):
        open_data(tmp_path, pre=pre)


@pytest.mark.parametrize("present, message", [("train", "has train/ but no val/ or test/"),
                                              ("test", "has test/ but no train/")])
def test_half_a_split(tmp_path, make_tree, pre, present, message):
    make_tree(tmp_path / present, {"a": 2})
    with pytest.raises(DataError, match=message):
        open_data(tmp_path, pre=pre)


@pytest.mark.parametrize("val_fraction", [0, 1, -0.1, 1.5, float("nan"), "0.1", True])
def test_val_fraction_outside_0_1(tmp_path, make_tree, pre, val_fraction):
    make_tree(tmp_path, {"a": 2})
    with pytest.raises(DataError,
                       match=r"val_fraction \(--val-fraction\) must be a number between 0 and 1 \(exclusive\)"):
        open_data(tmp_path, pre=pre, val_fraction=val_fraction)


def test_other_bad_arguments(tmp_path, make_tree, pre):
    make_tree(tmp_path, {"a": 2})
    with pytest.raises(DataError, match=r"unknown augment 'rand'; valid: None"):
        open_data(tmp_path, pre=pre, augment="rand")
    with pytest.raises(DataError, match=r"seed \(--seed\) must be an integer, got 1.5"):
        open_data(tmp_path, pre=pre, seed=1.5)
    with pytest.raises(DataError, match=r"pre must be a Preprocessing, got dict"):
        open_data(tmp_path, pre=pre.to_dict())
