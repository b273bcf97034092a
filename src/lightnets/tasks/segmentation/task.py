"""Segmentation as a training task (:class:`lightnets.training.task.Task`): per-pixel cross-entropy that skips the
ignore index, scored by validation mIoU (a percentage) from one confusion matrix over the whole set."""

from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ...data import DataSplits, Preprocessing
from ...training.config import TrainConfig
from ...training.task import Score, Step, Task, check_common
from .metrics import ConfusionMatrix
from .model import SegmentationModel
from .targets import IGNORE_INDEX, check_ignore_index, check_target


class SegmentationTask(Task):
    """Cross-entropy over the labelled pixels; ``evaluate`` gives the mean loss per labelled pixel, mIoU as the
    score and the pixel accuracy."""

    name, score, label = "segmentation", "miou", "mIoU"

    def __init__(self, num_classes: int, ignore_index: int | None = IGNORE_INDEX):
        self.num_classes = num_classes
        self.ignore_index = check_ignore_index(ignore_index, num_classes)
        self.criterion = nn.CrossEntropyLoss(ignore_index=-100 if ignore_index is None else ignore_index)

    def check(self, model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig) -> None:
        if not isinstance(model, SegmentationModel):
            raise TypeError(f"a segmentation run needs a segmentation model (create_segmentation_model(...)), "
                            f"got {type(model).__name__}")
        classes = list(data.classes)
        if len(classes) < 2:
            raise ValueError(f"the data has {len(classes)} class(es); segmentation needs the background and at least "
                             "one object class")
        if model.num_classes != len(classes):
            raise ValueError(f"the model scores {model.num_classes} classes per pixel but the data has {len(classes)}; "
                             f"build it with num_classes={len(classes)}")
        check_common(model, data, pre, config)

    def step(self, network: nn.Module, images: torch.Tensor, targets: torch.Tensor) -> Step:
        check_target(targets, self.num_classes, self.ignore_index)
        return Step(self.criterion(network(images), targets), images.shape[0])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: Iterable, *, device: torch.device, progress: bool, desc: str,
                 reduce: Callable[[torch.Tensor], None]) -> Score:
        matrix = ConfusionMatrix(self.num_classes, self.ignore_index)
        sums = torch.zeros(2, dtype=torch.float64, device=device)  # loss over labelled pixels, labelled pixels
        was_training = model.training
        model.eval()
        try:
            for images, masks in tqdm(loader, desc=desc, disable=not progress, leave=False, unit="batch"):
                images, masks = images.to(device), masks.to(device)
                logits = model(images)
                labelled = masks != self.ignore_index if self.ignore_index is not None else torch.ones_like(masks)
                sums[0] += F.cross_entropy(logits.float(), masks, reduction="sum",
                                           ignore_index=-100 if self.ignore_index is None else self.ignore_index)
                sums[1] += labelled.sum()
                matrix.update(logits, masks)
        finally:
            model.train(was_training)
        counts = matrix.matrix.to(device)
        reduce(sums)
        reduce(counts)
        matrix.matrix = counts.cpu()
        if sums[1].item() == 0:
            raise ValueError("nothing to evaluate: the validation masks have no labelled pixel")
        hits = matrix.matrix.diagonal().sum().item()
        return Score(sums[0].item() / sums[1].item(), 100 * matrix.miou(),
                     {"pixel_acc": 100 * hits / matrix.matrix.sum().item()})

    def head(self, model: nn.Module) -> nn.Module:
        return model.head
