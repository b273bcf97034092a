"""CIFAR-10's "python version" (``cifar-10-batches-py``), read without unrestricted unpickling.

The batches are pickles from the user's own download of ``cifar-10-python.tar.gz``
(https://www.cs.toronto.edu/~kriz/cifar.html); lightnets never downloads them. Unpickling
can run arbitrary code, so lightnets first checks that the folder holds the expected
files (``data_batch_1`` .. ``data_batch_5``, ``test_batch``, ``batches.meta``) and then
reads them with an Unpickler that builds only plain containers, strings, numbers and
numpy arrays: the only globals it resolves are the ones numpy's own array pickling
names. A file that asks for anything else is refused with a :class:`DataError`.
Each batch is a dict with ``data`` (uint8, N x 3072, channel-major 32 x 32 RGB) and
``labels`` (N ints); ``batches.meta`` holds ``label_names``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError

FOLDER_NAME = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
META_FILE = "batches.meta"
ALL_FILES = (*TRAIN_FILES, TEST_FILE, META_FILE)
IMAGE_SHAPE = (3, 32, 32)

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

# (module, name) a pickled ndarray refers to -> the object; both numpy 1.x and 2.x spellings.
SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return SAFE_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refers to {module}.{name}, which lightnets does not unpickle "
                                         "(only numpy arrays, containers, strings and numbers)") from None


def find_cifar_folder(root: Path) -> Path | None:
    """``root`` if it holds any CIFAR-10 batch file, ``root/cifar-10-batches-py`` if that
    folder exists, else ``None``."""
    if any((root / name).exists() for name in ALL_FILES):
        return root
    inner = root / FOLDER_NAME
    return inner if inner.is_dir() else None


def _load(path: Path) -> dict[str, Any]:
    """One batch file as a dict with ``str`` keys (the files were written by Python 2)."""
    try:
        with path.open("rb") as f:
            obj = _ArraysOnlyUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise DataError(f"{path} is not a CIFAR-10 python batch: {e}") from None
    if not isinstance(obj, dict):
        raise DataError(f"{path} is not a CIFAR-10 python batch: it holds a {type(obj).__name__}, not a dict")
    return {k.decode("latin-1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _field(batch: dict[str, Any], key: str, path: Path) -> Any:
    if key not in batch:
        raise DataError(f"{path} is not a CIFAR-10 python batch: no {key!r} entry (found {sorted(map(str, batch))})")
    return batch[key]


def _read_batches(paths: list[Path], num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = [], []
    for path in paths:
        batch = _load(path)
        data, batch_labels = _field(batch, "data", path), _field(batch, "labels", path)
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != np.prod(IMAGE_SHAPE):
            raise DataError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), "
                            f"got {getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
        batch_labels = np.asarray(batch_labels)
        if batch_labels.shape != (len(data),) or batch_labels.dtype.kind not in "iu" \
                or (len(batch_labels) and not 0 <= batch_labels.min() <= batch_labels.max() < num_classes):
            raise DataError(f"{path}: 'labels' must be {len(data)} integers in [0, {num_classes}), "
                            f"got {batch_labels.dtype} {batch_labels.shape}")
        pixels.append(data.reshape(len(data), *IMAGE_SHAPE))
        labels.append(batch_labels.astype(np.int64))
    return np.concatenate(pixels), np.concatenate(labels)


def load_cifar10(folder: Path) -> tuple[list[str], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(classes, (train pixels, labels), (test pixels, labels))``; pixels are uint8 (N, 3, 32, 32).

    ``classes`` are sorted and labels renumbered to match (CIFAR-10's own order is
    already alphabetical, so for the real files this changes nothing).
    """
    missing = [name for name in ALL_FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder} looks like a CIFAR-10 python folder but lacks {', '.join(missing)}; "
                        f"it needs {', '.join(ALL_FILES)} (extract cifar-10-python.tar.gz completely)")
    meta_path = folder / META_FILE
    names = _field(_load(meta_path), "label_names", meta_path)
    if not isinstance(names, list) or not names or not all(isinstance(n, (bytes, str)) for n in names):
        raise DataError(f"{meta_path}: 'label_names' must be a list of class names, got {names!r}")
    names = [n.decode("utf-8") if isinstance(n, bytes) else n for n in names]
    if len(set(names)) != len(names):
        raise DataError(f"{meta_path}: class names repeat: {names}")
    classes = sorted(names)
    new_label = np.array([classes.index(n) for n in names], dtype=np.int64)
    train_pixels, train_labels = _read_batches([folder / name for name in TRAIN_FILES], len(names))
    test_pixels, test_labels = _read_batches([folder / TEST_FILE], len(names))
    return classes, (train_pixels, new_label[train_labels]), (test_pixels, new_label[test_labels])
