"""What a training run is asked to do: :class:`TrainConfig`."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .distributed import DEVICES
from .recipes import MOBILENET, Recipe, get_recipe


@dataclass(frozen=True)
class TrainConfig:
    """A training run. ``recipe`` (a :class:`Recipe` or a name from ``RECIPES``) sets the
    optimizer, schedule and regularisation; the fields here set the run around it.

    ``batch_size`` is the global batch, all processes together. ``lr`` is the peak
    learning rate; ``None`` scales the recipe's (given per 256 images) to ``batch_size``.
    ``freeze_bn`` trains with BatchNorm in eval mode (running statistics, frozen; scale and
    shift still learn), as for fine-tuning with small batches. ``head_only`` trains the
    classifier alone (every other weight and the BatchNorm statistics frozen, and left with
    ``requires_grad`` off), the linear probe of a fine-tuning run. ``max_minutes`` stops the
    run before an epoch that would end past the budget (the run stays resumable).
    ``threads`` sets torch's intra-op threads for the run. ``channels_last`` trains in the
    NHWC memory layout, ``compile`` trains through ``torch.compile`` and ``bf16`` runs the
    forward pass and the loss under ``torch.autocast`` to bfloat16 (mixed precision: the
    weights, gradients, optimizer state and validation stay fp32). The saved weights are the
    same module's either way; docs/benchmarks/cifar10.md measures what each gains on a CPU.
    The fields in :attr:`RUNTIME_FIELDS` may change when a run is resumed; the others
    define the run and must not.
    """

    out_dir: str | Path
    recipe: Recipe | str = MOBILENET
    epochs: int = 10
    batch_size: int = 64
    lr: float | None = None
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    freeze_bn: bool = False
    head_only: bool = False
    seed: int = 0
    workers: int = 0
    threads: int | None = None
    max_minutes: float | None = None
    device: str = "auto"
    progress: bool = True
    channels_last: bool = False
    compile: bool = False
    bf16: bool = False

    RUNTIME_FIELDS = ("out_dir", "workers", "threads", "max_minutes", "device", "progress", "channels_last",
                      "compile", "bf16")

    def __post_init__(self) -> None:
        if isinstance(self.recipe, str):
            object.__setattr__(self, "recipe", get_recipe(self.recipe))
        elif not isinstance(self.recipe, Recipe):
            raise ValueError(f"recipe must be a Recipe or a recipe name, got {self.recipe!r}")
        if not isinstance(self.out_dir, (str, os.PathLike)) or not str(self.out_dir):
            raise ValueError(f"out_dir must be a folder path (str or Path) for checkpoints and metrics, "
                             f"got {self.out_dir!r}")
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("workers", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ValueError(f"threads must be an integer >= 1 (or None for torch's default), got {self.threads!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        for name, value in (("lr", self.lr), ("max_minutes", self.max_minutes)):
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number > 0 (or None), got {value!r}")
        for name in ("mixup_alpha", "cutmix_alpha"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0 (0 = off), got {value!r}")
        for name in ("channels_last", "compile", "bf16", "freeze_bn", "head_only", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (the recipe as a dict, the folder as a string) for checkpoints."""
        d = dataclasses.asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d

    def run_fields(self) -> dict[str, Any]:
        """The values that define the run: what a resumed run must share with the original."""
        return {k: v for k, v in self.to_dict().items() if k not in self.RUNTIME_FIELDS}
