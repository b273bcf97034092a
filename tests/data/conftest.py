"""Tiny image trees and CIFAR-10 python batches written into tmp_path."""

import io
import pickle
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from lightnets.data import Preprocessing


@pytest.fixture
def pre():
    return Preprocessing.cifar(input_size=16)


@pytest.fixture
def per_image_pre():
    """An ImageNet-style pipeline: images decoded and transformed on every read (the cifar
    style decodes them once, when the data is opened)."""
    return Preprocessing(input_size=16, mean=(0.5,) * 3, std=(0.5,) * 3, crop_pct=1.0)


def _write_image(path, size=(8, 8), mode="RGB", color=None, seed=0):
    """A small image: a constant ``color``, or seeded noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if color is not None:
        image = Image.new(mode, size, color)
    else:
        pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        image = Image.fromarray(pixels).convert(mode)
    image.save(path)
    return path


@pytest.fixture
def write_image():
    """``write_image(path, size=(8, 8), mode="RGB", color=None, seed=0)``."""
    return _write_image


@pytest.fixture
def make_tree():
    """``make_tree(root, {"cat": 3, "dog": 2})``: that many noise images per class folder."""

    def make(root, counts, ext=".png", size=(8, 8)):
        for cls, n in counts.items():
            for i in range(n):
                _write_image(root / cls / f"{i:03d}{ext}", size=size, seed=zlib.crc32(f"{cls}/{i}".encode()))
        return root

    return make


class Py2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2 ``str`` (SHORT_BINSTRING / BINSTRING), as the cPickle
    that wrote CIFAR-10's batches did; read back with ``encoding="bytes"`` they are bytes."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str


def _dump_py2(obj, path):
    """Pickle ``obj`` the way Python 2 with numpy 1.x did: protocol 2, py2 strings, numpy.core."""
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    path.write_bytes(buf.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n"))


@pytest.fixture
def dump_py2():
    """``dump_py2(obj, path)``: pickle ``obj`` as Python 2 did."""
    return _dump_py2


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.fixture
def make_cifar():
    """``make_cifar(folder, per_batch=4, test=3, names=CIFAR_NAMES)``: the real file set, tiny;
    returns ``{file name: (data, labels)}``."""

    def make(folder, per_batch=4, test=3, names=CIFAR_NAMES):
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        written = {}
        files = [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", test)]
        for name, n in files:
            data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            labels = [int(v) for v in rng.integers(0, len(names), n)]
            _dump_py2({b"batch_label": f"{name} of 5".encode(), b"labels": labels, b"data": data,
                      b"filenames": [f"img_{i}.png".encode() for i in range(n)]}, folder / name)
            written[name] = (data, labels)
        _dump_py2({b"num_cases_per_batch": per_batch, b"label_names": [n.encode() for n in names],
                  b"num_vis": 3072}, folder / "batches.meta")
        return written

    return make


@pytest.fixture(scope="module")
def pasted_scenes(tmp_path_factory):
    """A tiny pasted-scenes set (6 train, 3 val scenes of 64 x 64 from the embedded sample), built once per module."""
    from lightnets.data import make_pasted_scenes

    return make_pasted_scenes(tmp_path_factory.mktemp("pasted") / "scenes", train_images=6, val_images=3, size=64)
