"""The embedded CIFAR-10 sample: 10 classes, 500 train and 100 test JPEGs per class.

``open_data("sample")`` opens it, so training runs with no download. The file is a
gzip-compressed tar, ``train/<class>/NNNN.jpg`` and ``test/<class>/NNNN.jpg``: the
first 500 train and first 100 test files of each class, by file name, from
``../shared/data/cifar10-jpeg.tar.gz`` (CIFAR-10 as 32 x 32 JPEGs), with the JPEG bytes
unchanged. ``scripts/make_cifar10_sample.py`` made it. A tar.gz rather than a zip:
the images share their 623-byte JPEG headers, which only a compressed stream (not
per-file zip compression) removes, so 6,000 images fit in 1.9 MB instead of 6.2 MB.
The images are read into memory from the archive (about 6 MB, a fraction of a second);
nothing is extracted to disk.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from .errors import DataError

SAMPLE = "sample"
SAMPLE_FILE = "cifar10_sample.tar.gz"
SPLITS = {"train": 500, "test": 100}  # split -> images per class
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def sample_path() -> Path:
    """The sample archive inside the installed package."""
    return Path(__file__).with_name("sample") / SAMPLE_FILE


def read_sample(path: Path | None = None) -> dict[str, list[tuple[str, bytes]]]:
    """``{split: [(member name, JPEG bytes), ...]}`` in archive order, read without extracting."""
    path = sample_path() if path is None else path
    if not path.is_file():
        raise DataError(f"the embedded CIFAR-10 sample {path} is missing; reinstall lightnets "
                        "(the file ships as package data)")
    splits: dict[str, list[tuple[str, bytes]]] = {split: [] for split in SPLITS}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if not member.isfile() or len(parts) != 3 or parts[0] not in SPLITS:
                    raise DataError(f"{path}: unexpected entry {member.name!r}; "
                                    "the sample holds only {train,test}/<class>/<image> files")
                splits[parts[0]].append((member.name, archive.extractfile(member).read()))
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DataError(f"the embedded CIFAR-10 sample {path} is damaged ({e}); reinstall lightnets") from None
    return splits
