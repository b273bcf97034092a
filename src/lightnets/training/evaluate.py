"""Evaluate a classifier on a data loader: loss, top-1 / top-5, per-class accuracy, confusion.

Everything is accumulated as sums (loss, top-k hits, a confusion matrix), so a caller that
shards the data over processes passes ``reduce`` (an in-place all-reduce sum, see
:func:`lightnets.training.distributed.all_reduce_sum`) and gets the metrics of the whole set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

TOP_K = 5


@dataclass(frozen=True)
class EvalResult:
    """Metrics of one pass over a labelled set. Accuracies are percentages.

    ``loss`` is the plain cross-entropy (no label smoothing). ``top5`` counts a hit when
    the label is among the 5 highest logits; it is ``None`` for 5 classes or fewer, where
    every label is always among them. ``confusion[t, p]``
    counts images of true class ``t`` predicted as ``p``; ``per_class[c]`` is class
    ``c``'s top-1 accuracy, ``None`` when the set has no image of it.
    """

    loss: float
    top1: float
    top5: float | None
    per_class: list[float | None]
    confusion: torch.Tensor
    images: int
    seconds: float

    @property
    def images_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the confusion matrix as nested lists."""
        return {"loss": self.loss, "top1": self.top1, "top5": self.top5, "per_class": self.per_class,
                "confusion": self.confusion.tolist(), "images": self.images, "seconds": self.seconds,
                "images_per_s": self.images_per_s}


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    num_classes: int,
    *,
    device: str | torch.device = "cpu",
    progress: bool = False,
    desc: str = "eval",
    reduce: Callable[[torch.Tensor], None] | None = None,
    hflip: bool = False,
) -> EvalResult:
    """Run ``model`` in eval mode over ``loader`` (batches of images and integer labels).

    The model's train/eval mode is restored afterwards. ``reduce``, if given, sums each
    accumulator in place across processes before the metrics are computed. ``hflip`` is
    test-time flip averaging: the logits are the mean of the image's and its mirror's.
    """
    if not isinstance(hflip, bool):
        raise ValueError(f"hflip must be True or False, got {hflip!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
    k = min(TOP_K, num_classes)  # top-1 is column 0 even when top-5 is not reported
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss, top-k hits, images
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    try:
        for images, labels in tqdm(loader, desc=desc, disable=not progress, leave=False, unit="batch"):
            images, labels = images.to(device), labels.to(device)
            if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
                bad = labels[(labels < 0) | (labels >= num_classes)][0].item()
                raise ValueError(f"label {bad} is outside the {num_classes} classes (0..{num_classes - 1})")
            logits = model(images)
            if hflip:
                logits = (logits + model(images.flip(-1))) / 2
            top = logits.topk(k, dim=1).indices
            sums[0] += F.cross_entropy(logits.float(), labels, reduction="sum")
            sums[1] += (top == labels[:, None]).any(dim=1).sum()
            sums[2] += labels.numel()
            confusion += torch.bincount(labels * num_classes + top[:, 0], minlength=num_classes ** 2)
    finally:
        model.train(was_training)
    seconds = time.perf_counter() - start
    if reduce is not None:
        reduce(sums)
        reduce(confusion)
    images = int(sums[2].item())
    if images == 0:
        raise ValueError("nothing to evaluate: the loader gave no images")
    confusion = confusion.view(num_classes, num_classes).cpu()
    per_class_total = confusion.sum(dim=1)
    per_class = [100.0 * confusion[c, c].item() / n if n else None
                 for c, n in enumerate(per_class_total.tolist())]
    return EvalResult(
        loss=sums[0].item() / images,
        top1=100.0 * confusion.diagonal().sum().item() / images,
        top5=100.0 * sums[1].item() / images if num_classes > TOP_K else None,
        per_class=per_class,
        confusion=confusion,
        images=images,
        seconds=seconds,
    )
