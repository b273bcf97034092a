"""A verification pairs file: one pair a line, ``IMAGE_A IMAGE_B SAME`` (SAME: 1 for one
person, 0 for two), separated by whitespace; blank lines and lines starting with ``#`` are
skipped. Relative image paths are read from the pairs file's folder, so a file travels with
its images. A missing image or a bad label is an error naming the file and the line, before
any image is embedded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool


def read_pairs(path: str | os.PathLike) -> list[Pair]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pairs file not found: {path}")
    pairs = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        where = f"{path}, line {number}"
        if len(fields) != 3:
            raise ValueError(f"{where}: expected IMAGE_A IMAGE_B SAME (3 fields), got {len(fields)}: {line.strip()!r}")
        *images, label = fields
        if label not in ("0", "1"):
            raise ValueError(f"{where}: the label must be 1 (same person) or 0 (different people), got {label!r}")
        resolved = [str(path.parent / image) for image in images]
        for image, full in zip(images, resolved):
            if not Path(full).is_file():
                raise ValueError(f"{where}: image not found: {image}" + ("" if image == full else f" ({full})"))
        pairs.append(Pair(*resolved, same=label == "1"))
    if not pairs:
        raise ValueError(f"{path} lists no pairs (one a line: IMAGE_A IMAGE_B SAME)")
    return pairs
