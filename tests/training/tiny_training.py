"""A tiny, learnable problem and a tiny model for training tests; also a script that runs
one training from a JSON config, for tests that need a separate process (kill and
resume, torchrun).

The two classes differ only in mean brightness (-0.5 vs +0.5, noise 0.5), so a network
that learns anything separates them; at chance it scores 50%.
"""

from __future__ import annotations

import json
import sys

import torch
from torch.utils.data import Dataset

from lightnets import create_model
from lightnets.data import DataSplits, Preprocessing

SIZE = 32
CLASSES = ["dark", "bright"]


class Brightness(Dataset):
    """``n`` noisy 3x32x32 images, labels alternating 0, 1, 0, ... The same for the same seed."""

    def __init__(self, n: int, seed: int, poison_after: int | None = None, dtype: torch.dtype = torch.float32):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.arange(n) % 2
        images = torch.randn(n, 3, SIZE, SIZE, generator=g) * 0.5 + (self.labels.float() - 0.5)[:, None, None, None]
        self.images = images.to(dtype)
        self.poison_after = poison_after  # serve NaN images once this many have been served
        self.served = 0

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        self.served += 1
        image = self.images[i]
        if self.poison_after is not None and self.served > self.poison_after:
            image = torch.full_like(image, float("nan"))
        return image, int(self.labels[i])


def brightness_splits(n_train: int = 256, n_val: int = 64, poison_after: int | None = None,
                      dtype: torch.dtype = torch.float32) -> DataSplits:
    """Brightness classes as lightnets.data.DataSplits."""
    return DataSplits(Brightness(n_train, seed=0, poison_after=poison_after, dtype=dtype),
                      Brightness(n_val, seed=1, dtype=dtype), list(CLASSES))


def tiny_model(name: str = "mobilenet_v3_small", seed: int = 0, calibrated: bool = False,
               dtype: torch.dtype = torch.float32, **variant):
    """MobileNetV3-Small at width 0.25, no dropout (dropout would make runs draw random numbers
    that differ between one process and several). ``calibrated``: BatchNorm running statistics
    measured on the training images, as a pretrained model has them (for frozen-BN runs)."""
    torch.manual_seed(seed)
    model = create_model(name, width=0.25, num_classes=len(CLASSES), drop_rate=0.0, **variant).to(dtype)
    if calibrated:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.momentum = None  # cumulative average over the batches below
        with torch.no_grad():
            for images in Brightness(256, seed=0, dtype=dtype).images.split(64):
                model(images)
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.momentum = 0.1
    return model


def preprocessing() -> Preprocessing:
    return Preprocessing.cifar(SIZE)


def main(argv: list[str]) -> None:
    """``python tiny_training.py CONFIG_JSON [SETUP_JSON]``: train :func:`tiny_model` on
    :func:`brightness_splits` with ``TrainConfig(**CONFIG)``; SETUP holds ``tiny_model`` / ``brightness_splits``
    arguments (``calibrated``, ``n_train``, ``float64``)."""
    from lightnets.training import TrainConfig, train

    setup = json.loads(argv[1]) if len(argv) > 1 else {}
    dtype = torch.float64 if setup.get("float64") else torch.float32
    train(tiny_model(calibrated=setup.get("calibrated", False), dtype=dtype),
          brightness_splits(setup.get("n_train", 256), dtype=dtype), preprocessing(), TrainConfig(**json.loads(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
