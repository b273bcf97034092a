"""The held-out part of the training images (lightnets/data/selection_split.py): stratified,
seeded, unaugmented, and refused when too small to rank candidates."""

import pytest
import torch

from lightnets.data import DataError, Preprocessing, open_data
from lightnets.data.selection_split import selection_split

PRE = Preprocessing.cifar(32)


@pytest.fixture(scope="module")
def train():
    return open_data("sample", pre=PRE).train


def test_the_split_is_stratified_seeded_and_disjoint(train):
    fit, held = selection_split(train, PRE, 0.1, seed=0)
    assert len(fit) == 4500 and len(held) == 500 and not set(fit.indices) & set(held.indices)
    assert [train.labels[i] for i in held.indices].count(3) == 50
    again, _ = selection_split(train, PRE, 0.1, seed=0)
    other, _ = selection_split(train, PRE, 0.1, seed=1)
    assert again.indices == fit.indices != other.indices


def test_held_out_images_are_not_augmented_and_fit_images_are(train):
    fit, held = selection_split(train, PRE, 0.1, seed=0)
    torch.manual_seed(0)
    first = held[0][0]
    assert torch.equal(held[0][0], first)  # the same image every time: no random crop or flip
    assert train.train and any(not torch.equal(fit[0][0], fit[0][0]) for _ in range(5))


def test_too_few_held_out_images_name_the_minimum(train):
    with pytest.raises(DataError, match="needs at least 20 per class.*at least 1000 training images per class"):
        selection_split(train, PRE, 0.02, seed=0, min_per_class=20)
    with pytest.raises(DataError, match="between 0 and 1"):
        selection_split(train, PRE, 1.0, seed=0)
