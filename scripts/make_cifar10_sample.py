"""Write the embedded CIFAR-10 sample, src/lightnets/data/sample/cifar10_sample.tar.gz.

Source: ../shared/data/cifar10-jpeg.tar.gz, CIFAR-10 (Krizhevsky 2009) as 60,000 32 x 32
JPEGs in ``cifar10/{train,test}/<class>/NNNN.jpg``. The sample keeps, for each of the 10
classes, the first 500 train and the first 100 test files by name (counts in
``lightnets.data.sample.SPLITS``), with their JPEG bytes unchanged, as
``{train,test}/<class>/NNNN.jpg`` in a gzip-compressed tar. The source is read as a
stream, never extracted; the output is byte-for-byte reproducible (sorted entries, zeroed
times and owners) and written atomically.

    .venv/bin/python scripts/make_cifar10_sample.py [SOURCE.tar.gz] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import tarfile
from collections import defaultdict
from pathlib import Path

from lightnets.data.sample import CLASSES, SPLITS, read_sample, sample_path
from lightnets.io import atomic_path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"


def select(source: Path) -> dict[str, bytes]:
    """``{"split/class/name.jpg": bytes}``: the first ``SPLITS[split]`` files of each class by name."""
    found: dict[tuple[str, str], dict[str, bytes]] = defaultdict(dict)
    with tarfile.open(source, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 4 and parts[1] in SPLITS:
                found[parts[1], parts[2]][parts[3]] = archive.extractfile(member).read()
    chosen = {}
    for split, per_class in SPLITS.items():
        for cls in CLASSES:
            files = found[split, cls]
            if len(files) < per_class:
                raise SystemExit(f"{source}: {split}/{cls} has {len(files)} images, the sample needs {per_class}")
            for name in sorted(files)[:per_class]:
                chosen[f"{split}/{cls}/{name}"] = files[name]
    return chosen


def write(images: dict[str, bytes], out: Path) -> None:
    with atomic_path(out) as tmp:
        with tmp.open("wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as archive:
            for name in sorted(images):
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(images[name]), 0o644
                archive.addfile(info, io.BytesIO(images[name]))
        tmp.chmod(0o644)  # package data, readable by all (the temporary file starts as 0600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=sample_path())
    args = parser.parse_args()
    images = select(args.source)
    write(images, args.out)
    written = {name: data for members in read_sample(args.out).values() for name, data in members}
    if written != images:
        raise SystemExit(f"{args.out} does not read back as the {len(images)} selected images")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out}: {len(images)} images, {args.out.stat().st_size:,} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
