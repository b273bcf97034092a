"""Dropout and data augmentation against overfitting, measured (the CNN-history seed on AlexNet).

AlexNet (Krizhevsky et al. 2012, Section 4) fought overfitting with the two means the seed
describes: data augmentation (random crops and mirror images, 4.1) and dropout in the first
two fully connected layers (4.2). Here the same small AlexNet (``small_input``, thinned by
``width``) is trained four times on the same few images, with and without each, and after
every epoch its top-1 is measured on the training images (plain, in eval mode) and on
held-out ones. Without either the two curves part: the network learns the training images
and not the task. Each means narrows the gap; together they narrow it most.

The training loop is written out here rather than taken from the engine because the curves
need the training split scored in eval mode after every epoch, which a training run does not
do (its train top-1 is measured on augmented images, with dropout on).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import Preprocessing, open_data
from ..data.decoded import DecodedImages
from ..io import atomic_path

SETTINGS = (("neither", 0.0, False), ("dropout", 0.5, False), ("augmentation", 0.0, True), ("both", 0.5, True))


@dataclass(frozen=True)
class RegularisationRun:
    name: str
    dropout: float
    augment: bool
    train_top1: tuple[float, ...]  # per epoch, on the training images (eval mode, no augmentation)
    test_top1: tuple[float, ...]  # per epoch, on the held-out images

    @property
    def gap(self) -> float:
        """Train minus test top-1 after the last epoch, in points."""
        return self.train_top1[-1] - self.test_top1[-1]

    def to_dict(self) -> dict:
        return {"name": self.name, "dropout": self.dropout, "augment": self.augment, "train_top1": list(self.train_top1),
                "test_top1": list(self.test_top1), "gap": self.gap}


def regularisation(*, epochs: int = 15, train_images: int = 2000, width: float = 0.5, lr: float = 0.02,
                   seed: int = 0, data: str | os.PathLike = "sample",
                   progress: Callable[[str, int, float, float], None] | None = None) -> list[RegularisationRun]:
    """Train the four :data:`SETTINGS` (none, dropout 0.5, augmentation, both) from the same
    initial weights on the first ``train_images`` training images of ``data`` (the embedded
    CIFAR-10 sample by default) for ``epochs`` each; ``progress(name, epoch, train, test)``
    is called after every epoch."""
    for name, value, least in (("epochs", epochs, 1), ("train_images", train_images, 10)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a number > 0, got {lr!r}")
    pre = Preprocessing.cifar(32)
    splits = open_data(data, pre=pre)
    if not isinstance(splits.train, DecodedImages):
        raise ValueError(f"{data} did not open as small decoded images; give a CIFAR-style data set")
    pixels, labels = splits.train.pixels[:train_images], splits.train.labels[:train_images].tolist()
    seen = DecodedImages(pixels, labels, pre=pre, train=False)
    num_classes = len(splits.classes)
    runs = []
    for name, dropout, augment in SETTINGS:
        torch.manual_seed(seed)  # the same initial weights and batch order for every setting
        model = _network(num_classes, width, dropout)
        shown = DecodedImages(pixels, labels, pre=pre, train=augment)
        train_curve, test_curve = [], []
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
        loader = DataLoader(shown, batch_size=64, shuffle=True, drop_last=True)
        loss_fn = nn.CrossEntropyLoss()
        for epoch in range(epochs):
            model.train()
            for x, y in loader:
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(x), y).backward()
                optimizer.step()
            train_curve.append(_top1(model, seen))
            test_curve.append(_top1(model, splits.val))
            if progress is not None:
                progress(name, epoch + 1, train_curve[-1], test_curve[-1])
        runs.append(RegularisationRun(name, dropout, augment, tuple(train_curve), tuple(test_curve)))
    return runs


def _network(num_classes: int, width: float, dropout: float) -> nn.Module:
    from ..models import create_model

    return create_model("alexnet", num_classes=num_classes, width=width, drop_rate=dropout, small_input=True)


@torch.no_grad()
def _top1(model: nn.Module, dataset) -> float:
    model.eval()
    hits = total = 0
    for x, y in DataLoader(dataset, batch_size=500):
        hits += (model(x).argmax(1) == y).sum().item()
        total += len(y)
    return 100.0 * hits / total


def plot_regularisation(runs: list[RegularisationRun], path: str | os.PathLike) -> None:
    """Train (solid) and test (dashed) top-1 per epoch, one colour per setting, as a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for run, colour in zip(runs, ("tab:red", "tab:blue", "tab:green", "tab:purple")):
        epochs = range(1, len(run.train_top1) + 1)
        ax.plot(epochs, run.train_top1, "-", color=colour, label=f"{run.name}: train")
        ax.plot(epochs, run.test_top1, "--", color=colour, label=f"{run.name}: test (gap {run.gap:.0f} pts)")
    ax.set(xlabel="epoch", ylabel="top-1 (%)", title="AlexNet on a few CIFAR-10 images: dropout and augmentation")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
