import hashlib
import tarfile
from collections import Counter

import pytest
import torch
from torch.utils.data import DataLoader, Subset

import lightnets
from lightnets.data import SAMPLE, DataError, Preprocessing, open_data, sample_path
from lightnets.data.sample import CLASSES, SPLITS


@pytest.fixture(scope="module")
def sample():
    return open_data(SAMPLE, pre=Preprocessing.cifar())


def test_the_file_ships_inside_the_package():
    path = sample_path()
    assert path.is_file() and path.is_relative_to(lightnets.__path__[0])
    assert path.stat().st_size < 3_000_000


def test_holds_the_documented_balanced_subset_of_jpegs():
    with tarfile.open(sample_path(), "r:gz") as archive:
        members = [(m.name, archive.extractfile(m).read()) for m in archive]
    names = [name for name, _ in members]
    assert len(names) == len(set(names)) == 10 * sum(SPLITS.values())
    counts = Counter(tuple(name.split("/")[:2]) for name in names)
    assert counts == {(split, cls): n for split, n in SPLITS.items() for cls in CLASSES}
    for split, n in SPLITS.items():  # the first n of each class, by name
        assert sorted(name for name in names if name.startswith(f"{split}/cat/")) == \
            [f"{split}/cat/{i:04d}.jpg" for i in range(n)]
    assert all(data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9" for _, data in members)
    digests = {hashlib.sha256(data).digest() for _, data in members}
    assert len(digests) > 0.99 * len(members)  # distinct images, not one repeated


def test_opens_with_10_classes_and_the_documented_counts(sample):
    assert sample.classes == list(CLASSES) and sample.source == "embedded CIFAR-10 sample"
    assert (len(sample.train), len(sample.val), sample.skipped) == (5000, 1000, 0)
    assert Counter(sample.train.labels) == {i: 500 for i in range(10)}
    assert Counter(sample.val.labels) == {i: 100 for i in range(10)}
    for dataset in (sample.train, sample.val):
        image, label = dataset[len(dataset) // 2]
        assert image.shape == (3, 32, 32) and image.dtype == torch.float32 and label == 5
    # a natural image: normalised values spread around 0, not constant
    images = torch.stack([sample.val[i][0] for i in range(0, 1000, 50)])
    assert images.std() > 0.5 and abs(images.mean()) < 0.5


def test_grey(sample):
    data = open_data("sample", pre=Preprocessing.cifar(input_size=24, in_chans=1), augment="randaugment")
    assert data.train[0][0].shape == (1, 24, 24) and data.val[0][0].shape == (1, 24, 24)


def test_dataloader_workers(sample):
    loader = DataLoader(Subset(sample.train, range(64)), batch_size=32, num_workers=2,
                        multiprocessing_context="fork")
    images, labels = next(iter(loader))
    assert images.shape == (32, 3, 32, 32) and labels.tolist() == sample.train.labels[:32]


def test_only_the_string_sample_means_the_embedded_sample(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="data folder not found: sample"):
        open_data("./sample", pre=Preprocessing.cifar())
