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


def write_two_class_tree(root: Path) -> Path:
    """``root/data/{train,val}/{dark,light}/*.png``: 8 tiny images per class and split, told
    apart by brightness; returns ``root/data``."""
    for split in ("train", "val"):
        for label, value in zip(CLASSES, (40, 210)):
            folder = root / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(8):
                Image.new("RGB", (32, 32), (value + 3 * i, value, value - 2 * i)).save(folder / f"{i}.png")
    return root / "data"


@pytest.fixture(scope="session")
def two_class_tree():
    return write_two_class_tree
