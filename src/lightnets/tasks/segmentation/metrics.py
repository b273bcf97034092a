"""Mean intersection over union, the metric of PASCAL VOC and Cityscapes segmentation, from a confusion matrix.

Per class, IoU = true positives / (true positives + false positives + false negatives), counted over every pixel
of the evaluated set (not averaged per image); mIoU is the mean over the classes that occur in the labels or the
predictions (a class with an empty union has no IoU, as in TF's ``mean_iou``, which DeepLab reports). Pixels
labelled with the ignore index count nowhere, whatever the model predicts there.
"""

from __future__ import annotations

import torch

from .targets import IGNORE_INDEX, check_ignore_index, check_target


class ConfusionMatrix:
    """A ``num_classes x num_classes`` count of pixels, rows the labelled class, columns the predicted one,
    accumulated over batches by :meth:`update`."""

    def __init__(self, num_classes: int, ignore_index: int | None = IGNORE_INDEX):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
        self.num_classes = num_classes
        self.ignore_index = check_ignore_index(ignore_index, num_classes)
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def update(self, prediction: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch: ``prediction`` as class scores ``(N, num_classes, H, W)`` (their argmax is taken) or class
        indices ``(N, H, W)``, ``target`` the label maps ``(N, H, W)``."""
        if prediction.is_floating_point():
            if prediction.dim() != 4 or prediction.shape[1] != self.num_classes:
                raise ValueError(f"class scores must be (N, {self.num_classes}, H, W), got {tuple(prediction.shape)}")
            prediction = prediction.argmax(1)
        if prediction.shape != target.shape:
            raise ValueError(f"predictions {tuple(prediction.shape)} and labels {tuple(target.shape)} must have one "
                             "class per pixel each, at the same size")
        check_target(target, self.num_classes, self.ignore_index)
        check_target(prediction, self.num_classes, None)
        keep = torch.ones_like(target, dtype=torch.bool) if self.ignore_index is None else target != self.ignore_index
        pairs = target[keep].long() * self.num_classes + prediction[keep].long()
        counts = torch.bincount(pairs.cpu(), minlength=self.num_classes ** 2)
        self.matrix += counts.reshape(self.num_classes, self.num_classes)

    def iou(self) -> torch.Tensor:
        """IoU per class (float64), NaN for a class neither labelled nor predicted."""
        matrix = self.matrix.double()
        hits = matrix.diagonal()
        union = matrix.sum(0) + matrix.sum(1) - hits
        return torch.where(union > 0, hits / union.clamp(min=1), torch.full_like(hits, float("nan")))

    def miou(self) -> float:
        """The mean IoU over the classes with a non-empty union (NaN before any pixel was counted)."""
        return self.iou().nanmean().item()
