"""What the engine needs to know of a task: how a batch becomes a loss, how a model is scored, and what it checks.

:func:`~lightnets.training.engine.train` is one loop for every task; a :class:`Task` is the part that differs.
Classification (this module) scores top-1; segmentation scores mIoU
(:class:`lightnets.tasks.segmentation.task.SegmentationTask`) and detection COCO mAP
(:class:`lightnets.tasks.detection.task.DetectionTask`). The score a task names is the one the run keeps the best
checkpoint by, and its metrics records are ``val_<score>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import torch
from torch import nn

from ..data import DataSplits, Preprocessing, mixup_cutmix
from ..models import AuxOutput, LightNet
from .config import TrainConfig
from .evaluate import evaluate


@dataclass(frozen=True)
class Score:
    """One evaluation: the loss, the score the run keeps its best checkpoint by, and other entries for the
    metrics record (``val_<key>``)."""

    loss: float
    value: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One training step: the loss to back-propagate and, for tasks that count them, the batch's correct
    predictions out of ``count``."""

    loss: torch.Tensor
    count: int
    hits: torch.Tensor | None = None


class Task:
    """The interface; :class:`Classification` is the engine's default."""

    name = ""
    score = ""  # the metrics key the best checkpoint is chosen by: top1, miou, map
    label = ""  # how the score is printed: top-1, mIoU, mAP
    collate: Callable | None = None  # the DataLoader's collate_fn (None: PyTorch's default)

    def check(self, model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig) -> None:
        raise NotImplementedError

    def step(self, network: nn.Module, images: torch.Tensor, targets: Any) -> Step:
        raise NotImplementedError

    def evaluate(self, model: nn.Module, loader: Iterable, *, device: torch.device, progress: bool, desc: str,
                 reduce: Callable[[torch.Tensor], None]) -> Score:
        raise NotImplementedError

    def head(self, model: nn.Module) -> nn.Module:
        """The part ``head_only`` trains, the rest frozen."""
        raise NotImplementedError

    def targets_to(self, targets: Any, device: torch.device) -> Any:
        return targets.to(device, non_blocking=True)


def check_common(model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig) -> None:
    """The checks every task makes: a config, a preprocessing that fits the model, enough images."""
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if pre.in_chans != model.in_chans:
        raise ValueError(f"the preprocessing makes {pre.in_chans}-channel images but the model takes {model.in_chans}")
    if len(data.train) < config.batch_size:
        raise ValueError(f"batch size {config.batch_size} is larger than the {len(data.train)} training images; "
                         f"use a batch size of at most {len(data.train)}")
    if len(data.val) == 0:
        raise ValueError("the validation split is empty; training evaluates after every epoch, so give it "
                         "validation images (a val fraction > 0, or a val/ folder)")


class Classification(Task):
    """Cross-entropy with the recipe's label smoothing, mixup / cutmix when asked, aux heads weighted by the
    model's ``aux_weight``; scored by validation top-1."""

    name, score, label = "classification", "top1", "top-1"

    def __init__(self, model: LightNet, classes: list[str], config: TrainConfig):
        self.model = model
        self.num_classes = len(classes)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=config.recipe.label_smoothing)
        self.mix = mixup_cutmix(len(classes), config.mixup_alpha, config.cutmix_alpha)

    def check(self, model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig) -> None:
        if not isinstance(model, LightNet):
            raise TypeError(f"train() needs a lightnets model (create_model(...)), got {type(model).__name__}")
        classes = list(data.classes)
        if len(classes) < 2:
            raise ValueError(f"the data has {len(classes)} class{'' if len(classes) == 1 else 'es'} "
                             f"({', '.join(classes)}); a classifier needs at least two classes to learn to tell apart "
                             "(one folder per class)")
        if model.num_classes != len(classes):
            raise ValueError(f"the model has {model.num_classes} outputs but the data has {len(classes)} classes; "
                             f"build it with num_classes={len(classes)} or call model.reset_classifier({len(classes)})")
        check_common(model, data, pre, config)

    def step(self, network: nn.Module, images: torch.Tensor, targets: torch.Tensor) -> Step:
        labels = targets
        if self.mix is not None:
            images, targets = self.mix(images, labels)
        output = network(images)
        if isinstance(output, AuxOutput):
            aux = sum(self.criterion(logits, targets) for logits in output.aux_logits)
            logits, loss = output.logits, self.criterion(output.logits, targets) + self.model.aux_weight * aux
        else:
            logits, loss = output, self.criterion(output, targets)
        return Step(loss, labels.numel(), (logits.detach().argmax(dim=1) == labels).sum())

    def evaluate(self, model: nn.Module, loader: Iterable, *, device: torch.device, progress: bool, desc: str,
                 reduce: Callable[[torch.Tensor], None]) -> Score:
        result = evaluate(model, loader, self.num_classes, device=device, progress=progress, reduce=reduce,
                          desc=desc)
        return Score(result.loss, result.top1, {"top5": result.top5})

    def head(self, model: nn.Module) -> nn.Module:
        return model.get_classifier()
