from pathlib import Path

import pytest
import torch
from PIL import Image

CLASSES = ["dark", "light"]


def realistic(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random BatchNorm statistics and affine terms, and a classifier with O(1) logits,
    so that a wrong fold or export shows up far above the tolerance."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    fc = model.head.fc
    fc.weight.data.copy_(torch.randn(fc.weight.shape, generator=g))
    return model.eval()


@pytest.fixture(scope="session")
def make_realistic():
    return realistic


def write_two_class_tree(root: Path, per_class: int = 8) -> Path:
    """``root/data/{train,val}/{dark,light}/*.png``: ``per_class`` (at most 64) plain 32x32
    images per class and split, told apart by brightness, each a colour of its own a few
    levels from its class's; returns ``root/data``."""
    for split, shift in (("train", 0), ("val", 1)):
        for label, value in zip(CLASSES, (40, 210)):
            folder = root / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(per_class):
                Image.new("RGB", (32, 32), (value + i // 8, value + shift, value - i % 8)).save(folder / f"{i}.png")
    return root / "data"


@pytest.fixture(scope="session")
def two_class_tree():
    return write_two_class_tree


def trained(model: torch.nn.Module, data_root: Path, steps: int = 20) -> torch.nn.Module:
    """``model`` trained for ``steps`` steps of Adam on the training images of ``data_root``
    (a :func:`write_two_class_tree`, the whole split one batch), then its BatchNorm
    statistics set to that batch's, so that eval mode computes what training saw. Its top-1
    then follows the images with a margin, as a trained model's does: a network with random
    weights is chaotic (int8's rounding alone changes its decisions), and a constant one
    agrees with any program that gives the same constant, so neither can tell a working int8
    program from a broken one."""
    from torch.utils.data import DataLoader

    from lightnets.data import Preprocessing, eval_transform, open_data

    data = open_data(data_root, pre=Preprocessing.cifar(32))
    data.train.transform = eval_transform(Preprocessing.cifar(32))
    images, labels = next(iter(DataLoader(data.train, batch_size=len(data.train))))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average: the statistics of this one batch
    with torch.no_grad():
        model(images)
    return model.eval()


@pytest.fixture(scope="session")
def make_trained():
    return trained
