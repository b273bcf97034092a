"""A seeded, stratified train / validation split of one ImageFolder tree.

Within each class the images are ordered by ``sha256(f"{seed}/{key}")`` of their key
(the path relative to the tree's root, with / separators), and the first
``round(n * val_fraction)`` of them, at least 1 and at most ``n - 1``, go to validation;
a class with a single image stays in training. The split therefore depends only on the seed and the file names:
the same on every machine and Python or library version, wherever the tree is mounted.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Sequence


def stratified_split(keys: Sequence[str], labels: Sequence[int], val_fraction: float,
                     seed: int) -> tuple[list[int], list[int]]:
    """Sorted ``(train indices, val indices)`` into ``keys`` / ``labels``."""
    by_class: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    train: list[int] = []
    val: list[int] = []
    for label in sorted(by_class):
        members = sorted(by_class[label], key=lambda i: hashlib.sha256(f"{seed}/{keys[i]}".encode()).digest())
        n_val = min(len(members) - 1, max(1, round(len(members) * val_fraction)))
        val += members[:n_val]
        train += members[n_val:]
    return sorted(train), sorted(val)
