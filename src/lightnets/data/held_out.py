"""Open data the way a trained model saw it: its own training split, so that evaluation
scores only held-out images and int8 calibration uses only training images.

Training stores :attr:`DataSplits.origin` (the data folder and, for a single ImageFolder
tree, the ``val_fraction`` and ``seed`` that chose the validation images) in its
checkpoints, and export copies it into the artefact's metadata. Given that record,
:func:`open_as_trained` reopens the same folder with the same split, and refuses a
different ``val_fraction`` or ``seed``, which would put training images into the
evaluated set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import DataError
from .preprocessing import Preprocessing
from .sample import SAMPLE
from .sources import DataSplits, open_data

DEFAULT_VAL_FRACTION, DEFAULT_SEED = 0.1, 0


def _resolved(root: str | os.PathLike) -> str:
    return SAMPLE if isinstance(root, str) and root == SAMPLE else str(Path(root).resolve())


def trained_split(root: str | os.PathLike, trained_on: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``{"val_fraction", "seed"}`` a model was trained with on ``root``, or ``None``
    when ``trained_on`` (a stored :attr:`DataSplits.origin`) is another folder or has no
    split of its own to keep."""
    if not isinstance(trained_on, dict) or trained_on.get("root") != _resolved(root):
        return None
    split = trained_on.get("split")
    return split if isinstance(split, dict) else None


def open_as_trained(root: str | os.PathLike, *, pre: Preprocessing, trained_on: dict[str, Any] | None,
                    val_fraction: float | None = None, seed: int | None = None,
                    skip_corrupt: bool = False) -> DataSplits:
    """:func:`open_data` with the training run's split of ``root`` when ``trained_on``
    records one; ``val_fraction`` / ``seed`` (``None``: the run's, or 0.1 / 0 without a
    record) must then agree with it, else :class:`DataError` explains why not."""
    split = trained_split(root, trained_on)
    if split is not None:
        asked = {"val_fraction": val_fraction, "seed": seed}
        clash = {k: v for k, v in asked.items() if v is not None and v != split[k]}
        if clash:
            given = ", ".join(f"{k} {v!r} (--{k.replace('_', '-')})" for k, v in clash.items())
            raise DataError(f"the model was trained on {root} with val_fraction {split['val_fraction']}, "
                            f"seed {split['seed']}; {given} would split it differently and score images it was "
                            "trained on. Leave them out to use the training run's held-out images")
        val_fraction, seed = split["val_fraction"], split["seed"]
    return open_data(root, pre=pre, val_fraction=DEFAULT_VAL_FRACTION if val_fraction is None else val_fraction,
                     seed=DEFAULT_SEED if seed is None else seed, skip_corrupt=skip_corrupt)
