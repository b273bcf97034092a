"""The CNN-history seed's regularisers, measured: dropout and data augmentation.

AlexNet (Krizhevsky et al. 2012, Section 4, "Reducing Overfitting") has 60 million
parameters and 1.2 million training images, too few to fit them without memorising: it
adds dropout 0.5 to its first two fully connected layers and trains on random crops and
mirror images of each picture. Here the same argument runs at a student's scale: one small
network (AlexNet in its small-input form, ``small_input=True``, at a reduced width: its
five convolutions and three fully connected layers, no BatchNorm) is trained four times on
the embedded CIFAR-10 sample (5,000 training, 1,000 test images), with and without
dropout on the hidden FC layers and with and without augmentation (pad-4 crop and flip,
:func:`lightnets.data.decoded.pad_crop_flip`). After each epoch it scores the training
images as they are (eval mode, no augmentation) and the test images; the distance between
the two curves is the overfitting the seed describes.

Every run starts from the same weights and sees the same batches in the same order; only
the dropout masks and the crops differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader

SETTINGS = (  # (dropout, augmentation), the four runs
    (False, False), (True, False), (False, True), (True, True))
DROP_RATE = 0.5  # AlexNet's, on FC6 and FC7
LABELS = {(False, False): "neither", (True, False): "dropout", (False, True): "augmentation",
          (True, True): "dropout + augmentation"}


@dataclass(frozen=True)
class RegularisationRun:
    dropout: bool
    augment: bool
    train_top1: tuple[float, ...]  # per epoch: the training images, un-augmented, eval mode
    test_top1: tuple[float, ...]
    train_loss: tuple[float, ...]  # per epoch: the mean training loss of the steps

    @property
    def label(self) -> str:
        return LABELS[self.dropout, self.augment]

    @property
    def gap(self) -> float:
        """Train top-1 minus test top-1 after the last epoch, in points."""
        return self.train_top1[-1] - self.test_top1[-1]

    def to_dict(self) -> dict:
        return {"dropout": self.dropout, "augment": self.augment, "label": self.label, "gap": self.gap,
                "train_top1": list(self.train_top1), "test_top1": list(self.test_top1),
                "train_loss": list(self.train_loss)}


@dataclass(frozen=True)
class RegularisationResult:
    model: str
    width: float
    params: int
    epochs: int
    train_images: int
    test_images: int
    lr: float
    seed: int
    runs: tuple[RegularisationRun, ...]

    def to_dict(self) -> dict:
        return {"model": self.model, "width": self.width, "params": self.params, "epochs": self.epochs,
                "train_images": self.train_images, "test_images": self.test_images, "lr": self.lr,
                "seed": self.seed, "runs": [r.to_dict() for r in self.runs]}


def _check(name: str, value, least: float, kind=int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) \
            or not math.isfinite(value) or value < least:
        raise ValueError(f"{name} must be {'a number' if kind is float else 'an integer'} >= {least:g}, "
                         f"got {value!r}")


def regularisation(epochs: int = 30, *, width: float = 0.125, per_class: int | None = None, lr: float = 1e-3,
                   batch_size: int = 64, seed: int = 0, threads: int | None = None,
                   progress: Callable[[str], None] | None = None) -> RegularisationResult:
    """Train :data:`SETTINGS`' four runs of AlexNet (small-input form, ``width``) for
    ``epochs`` each with Adam at ``lr`` on the embedded sample (``per_class`` training
    images of each class when given, all 500 otherwise; always the 1,000 test images)."""
    from ..data import Preprocessing, open_data
    from ..data.decoded import DecodedImages
    from ..data.sample import CLASSES, SPLITS
    from ..models import create_model
    from ..training.evaluate import evaluate

    _check("epochs", epochs, 1)
    _check("batch_size", batch_size, 1)
    _check("seed", seed, 0)
    _check("width", width, 1 / 64, float)
    _check("lr", lr, 1e-8, float)
    if threads is not None:
        _check("threads", threads, 1)
    if per_class is not None:
        _check("per_class", per_class, 1)
        if per_class > SPLITS["train"]:
            raise ValueError(f"per_class must be at most {SPLITS['train']} (the sample's training images per "
                             f"class), got {per_class}")
    images = len(CLASSES) * (SPLITS["train"] if per_class is None else per_class)
    if batch_size > images:
        raise ValueError(f"batch_size {batch_size} is more than the {images} training images: no step would run; "
                         "use a smaller batch or more images per class")
    pre = Preprocessing.cifar(32)
    data = open_data("sample", pre=pre)
    test = data.val
    if not isinstance(data.train, DecodedImages):
        raise RuntimeError("the embedded sample was not decoded into memory; reinstall lightnets")
    pixels, labels = data.train.pixels, torch.tensor(data.train.labels)
    if per_class is not None:
        keep = torch.cat([(labels == c).nonzero().flatten()[:per_class] for c in range(len(data.classes))])
        pixels, labels = pixels[keep], labels[keep]
    plain = DecodedImages(pixels, labels.tolist(), pre=pre, train=False)
    augmented = DecodedImages(pixels, labels.tolist(), pre=pre, train=True)

    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        start = create_model("alexnet", width=width, num_classes=len(data.classes), small_input=True,
                             drop_rate=DROP_RATE)
        initial = {k: v.clone() for k, v in start.state_dict().items()}
        runs = []
        for dropout, augment in SETTINGS:
            model = create_model("alexnet", width=width, num_classes=len(data.classes), small_input=True,
                                 drop_rate=DROP_RATE if dropout else 0.0)
            model.load_state_dict(initial)
            runs.append(_run(model, augmented if augment else plain, plain, test, epochs, lr, batch_size, seed,
                             dropout, augment, evaluate, progress))
    finally:
        torch.set_num_threads(previous_threads)
    return RegularisationResult("alexnet", width, sum(p.numel() for p in start.parameters()), epochs, len(plain),
                                len(test), lr, seed, tuple(runs))


def _run(model: nn.Module, train_set, plain, test, epochs: int, lr: float, batch_size: int, seed: int,
         dropout: bool, augment: bool, evaluate, progress) -> RegularisationRun:
    """One setting: ``epochs`` of Adam on ``train_set``, scored on ``plain`` and ``test``."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(seed)  # the same batches in the same order in every run
    classes = model.num_classes
    train_top1, test_top1, losses = [], [], []
    for epoch in range(epochs):
        torch.manual_seed(seed + 1 + epoch)  # the dropout masks and crops of this epoch
        model.train()
        total, seen = 0.0, 0
        for images, labels in DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=order,
                                         drop_last=True):
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total, seen = total + loss.item() * len(labels), seen + len(labels)
        losses.append(total / seen)
        train_top1.append(evaluate(model, DataLoader(plain, batch_size=256), classes).top1)
        test_top1.append(evaluate(model, DataLoader(test, batch_size=256), classes).top1)
        if progress is not None:
            progress(f"{LABELS[dropout, augment]}: epoch {epoch + 1}/{epochs}  train loss {losses[-1]:.3f}  "
                     f"train top-1 {train_top1[-1]:.1f}%  test top-1 {test_top1[-1]:.1f}%")
    return RegularisationRun(dropout, augment, tuple(train_top1), tuple(test_top1), tuple(losses))


def plot_regularisation(result: RegularisationResult, path: str | Path) -> Path:
    """Train (dashed) and test (solid) top-1 against epochs, one colour per run, in one PNG
    (written atomically)."""
    from matplotlib.figure import Figure

    from ..io import atomic_path

    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    epochs = range(1, result.epochs + 1)
    for run, colour in zip(result.runs, ("tab:red", "tab:orange", "tab:blue", "tab:green")):
        ax.plot(epochs, run.train_top1, "--", color=colour, lw=1.2)
        ax.plot(epochs, run.test_top1, "-", color=colour, lw=1.8,
                label=f"{run.label}: test {run.test_top1[-1]:.1f}%, gap {run.gap:.1f} pts")
    ax.plot([], [], "k--", lw=1.2, label="dashed: training images (eval mode, no augmentation)")
    ax.set(xlabel="epoch", ylabel="top-1 (%)", ylim=(0, 100),
           title=f"AlexNet small-input x{result.width:g} ({result.params / 1e6:.2f}M params) on "
                 f"{result.train_images:,} CIFAR-10 images")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path
