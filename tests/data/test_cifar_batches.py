import os
import pickle

import numpy as np
import pytest
import torch

from lightnets.data import DataError, Preprocessing, eval_transform, open_data
from lightnets.data.sample import CLASSES


def normalised(row, pre):
    """The expected eval tensor of a CIFAR-10 row: channel-major 3 x 32 x 32 uint8."""
    image = torch.from_numpy(row.reshape(3, 32, 32).copy()).float() / 255
    return (image - torch.tensor(pre.mean).view(3, 1, 1)) / torch.tensor(pre.std).view(3, 1, 1)


@pytest.mark.parametrize("layout", ["batches folder", "parent folder"])
def test_opens_the_python_batches(tmp_path, make_cifar, layout):
    written = make_cifar(tmp_path / "cifar-10-batches-py")
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"")  # the download beside it is ignored
    root = tmp_path if layout == "parent folder" else tmp_path / "cifar-10-batches-py"
    pre = Preprocessing.cifar()
    data = open_data(root, pre=pre)
    assert data.classes == list(CLASSES)  # CIFAR-10's own order is alphabetical
    assert (len(data.train), len(data.val), data.skipped) == (20, 3, 0)
    assert data.source == f"CIFAR-10 python batches {tmp_path / 'cifar-10-batches-py'}"
    train_labels = sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert data.train.labels == train_labels and data.val.labels == written["test_batch"][1]
    test_data, _ = written["test_batch"]
    for i in range(3):
        image, _ = data.val[i]
        torch.testing.assert_close(image, normalised(test_data[i], pre))
    torch.testing.assert_close(eval_transform(pre)(data.val.pixels[0].permute(1, 2, 0).numpy()), data.val[0][0])
    assert data.train[7][0].shape == (3, 32, 32)


def test_grey_and_larger_inputs(tmp_path, make_cifar):
    make_cifar(tmp_path)
    data = open_data(tmp_path, pre=Preprocessing.cifar(input_size=40, in_chans=1))
    assert data.val[0][0].shape == (1, 40, 40) and data.train[0][0].shape == (1, 40, 40)


def test_class_names_out_of_order_are_sorted_and_labels_follow(tmp_path, make_cifar):
    names = ["truck", "cat", "airplane"]
    written = make_cifar(tmp_path, names=names)
    data = open_data(tmp_path, pre=Preprocessing.cifar())
    assert data.classes == ["airplane", "cat", "truck"]
    assert [data.classes[y] for y in data.val.labels] == [names[y] for y in written["test_batch"][1]]


def test_missing_batches_are_named(tmp_path, make_cifar):
    make_cifar(tmp_path)
    os.remove(tmp_path / "data_batch_3")
    os.remove(tmp_path / "batches.meta")
    with pytest.raises(DataError, match=rf"{tmp_path} looks like a CIFAR-10 python folder but lacks data_batch_3, "
                                        r"batches.meta; it needs data_batch_1, .*test_batch, batches.meta"):
        open_data(tmp_path, pre=Preprocessing.cifar())


class RunsCode:
    def __reduce__(self):
        return os.system, ("touch pwned",)


@pytest.mark.parametrize("py2", [True, False])
def test_pickles_that_run_code_are_refused(tmp_path, make_cifar, dump_py2, monkeypatch, py2):
    make_cifar(tmp_path)
    if py2:
        dump_py2({b"data": RunsCode(), b"labels": []}, tmp_path / "test_batch")
    else:
        (tmp_path / "test_batch").write_bytes(pickle.dumps({"data": RunsCode(), "labels": []}))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=rf"{tmp_path / 'test_batch'} is not a CIFAR-10 python batch: refers to "
                                        rf"{os.system.__module__}.system, which lightnets does not unpickle"):
        open_data(tmp_path, pre=Preprocessing.cifar())
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("batch, message", [
    ({b"labels": [0]}, r"no 'data' entry \(found \['labels'\]\)"),
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]},
     r"'data' must be a uint8 array of shape \(N, 3072\), got float32"),
    ({b"data": np.zeros((2, 1024), np.uint8), b"labels": [0, 1]}, r"got uint8 \(2, 1024\)"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, r"'labels' must be 2 integers in \[0, 10\)"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, r"'labels' must be 2 integers"),
    ([1, 2], r"it holds a list, not a dict"),
])
def test_malformed_batches(tmp_path, make_cifar, dump_py2, batch, message):
    make_cifar(tmp_path)
    dump_py2(batch, tmp_path / "data_batch_2")
    with pytest.raises(DataError, match=rf"{tmp_path / 'data_batch_2'}.*{message}"):
        open_data(tmp_path, pre=Preprocessing.cifar())


def test_truncated_batch(tmp_path, make_cifar):
    make_cifar(tmp_path)
    path = tmp_path / "data_batch_5"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match=rf"{path} is not a CIFAR-10 python batch"):
        open_data(tmp_path, pre=Preprocessing.cifar())
