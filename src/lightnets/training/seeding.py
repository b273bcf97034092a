"""Randomness as a function of (seed, epoch, rank), so that a resumed run repeats an
uninterrupted one exactly.

At the start of every epoch torch's, Python's and numpy's global generators are seeded
from ``(seed, epoch, rank)``; everything random in an epoch (augmentation, mixup, dropout,
data-loader worker seeds) draws from them, and the training sampler shuffles with
``seed + epoch`` (:class:`~torch.utils.data.distributed.DistributedSampler`). A run resumed
at the start of epoch ``k`` therefore draws exactly what the uninterrupted run drew in
epoch ``k``, with no generator state to carry in the checkpoint beyond the seed itself.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A 63-bit seed, different for every (seed, epoch, rank) and the same on every run."""
    digest = hashlib.sha256(f"lightnets/{seed}/{epoch}/{rank}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def seed_epoch(seed: int, epoch: int, rank: int = 0) -> None:
    """Seed torch (CPU and CUDA), ``random`` and numpy for one epoch of one process."""
    value = epoch_seed(seed, epoch, rank)
    torch.manual_seed(value)
    random.seed(value)
    np.random.seed(value % 2**32)
