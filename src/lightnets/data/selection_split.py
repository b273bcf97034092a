"""The training images split once more: most to fit on, a few held out to choose between
candidate networks (NetAdapt's proposals, a search's trials), so that no choice ever looks
at the validation or test images a model is finally scored on.

The held-out part is stratified and seeded like :func:`~.split.stratified_split` (by image
index, so the same dataset and seed give the same split), and its images are prepared the
evaluation way: no augmentation.
"""

from __future__ import annotations

import copy
import math

from torch.utils.data import Dataset, Subset

from .datasets import ArrayImages, EncodedImages
from .decoded import DecodedImages
from .errors import DataError
from .preprocessing import Preprocessing
from .split import stratified_split
from .transforms import eval_transform

MIN_PER_CLASS = 5  # fewer held-out images per class cannot tell candidates apart


def _unaugmented(dataset: Dataset, pre: Preprocessing) -> Dataset:
    """``dataset``'s images prepared for evaluation (a shallow copy, the images shared)."""
    plain = copy.copy(dataset)
    if isinstance(dataset, DecodedImages):
        plain.train = False
    elif isinstance(dataset, (EncodedImages, ArrayImages)):
        plain.transform = eval_transform(pre)
    else:
        raise DataError(f"cannot hold images out of a {type(dataset).__name__}; open the data with open_data")
    return plain


def selection_split(train: Dataset, pre: Preprocessing, fraction: float, seed: int,
                    min_per_class: int = MIN_PER_CLASS) -> tuple[Subset, Subset]:
    """``(fit, held_out)`` subsets of the training dataset ``train`` (as :func:`open_data`
    made it): ``fraction`` of each class held out, prepared without augmentation. Raises
    :class:`DataError` when a class would hold out fewer than ``min_per_class`` images."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not math.isfinite(fraction) \
            or not 0 < fraction < 1:
        raise DataError(f"the held-out fraction must be between 0 and 1 (exclusive), got {fraction!r}")
    labels = getattr(train, "labels", None)
    if labels is None:
        raise DataError(f"cannot hold images out of a {type(train).__name__}; open the data with open_data")
    fit, held = stratified_split([str(i) for i in range(len(labels))], labels, fraction, seed)
    per_class = {c: 0 for c in set(labels)}
    for i in held:
        per_class[labels[i]] += 1
    fewest = min(per_class.values())
    if fewest < min_per_class:
        counts = {c: labels.count(c) for c in per_class}
        need = math.ceil(min_per_class / fraction)
        raise DataError(f"held out {len(held)} training images ({fewest} in the smallest class of "
                        f"{min(counts.values())}); ranking candidates needs at least {min_per_class} per class: "
                        f"give a larger held-out fraction, or at least {need} training images per class")
    return Subset(train, fit), Subset(_unaugmented(train, pre), held)
