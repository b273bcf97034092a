"""SSD's training loss (Liu et al. 2016, Section 2.2 "Training objective"), as torchvision's ``SSD.compute_loss``.

Matching: each default box takes the ground-truth box it overlaps most if their IoU is at least 0.5, and each
ground-truth box also takes the default box it overlaps most, whatever the IoU (torchvision's ``SSDMatcher``), so
no object goes unmatched. The localisation loss is the smooth L1 (beta 1) of the matched boxes' offsets
(:class:`~.box_coding.BoxCoder`); the confidence loss is the cross-entropy of the matched boxes and of the hardest
negatives, at most 3 per positive of the image ("hard negative mining", the 3:1 ratio of torchvision's
``positive_fraction`` 0.25). Both are sums over the batch divided by its number of matched boxes (at least 1).
Labels are 1..C-1; 0 is the background every unmatched box is trained towards.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch.nn import functional as F
from torchvision.ops import box_iou

from .box_coding import BoxCoder

IOU_THRESHOLD = 0.5
NEG_TO_POS = 3.0  # (1 - positive_fraction) / positive_fraction, positive_fraction 0.25


def check_targets(targets: Any, batch_size: int, num_classes: int) -> None:
    """Raise a clear error for detection targets the loss cannot take: one dict per image with ``boxes`` (K, 4)
    float xyxy of positive width and height and ``labels`` (K,) integers in 1..num_classes - 1."""
    if not isinstance(targets, (list, tuple)) or len(targets) != batch_size:
        got = f"{len(targets)} targets" if isinstance(targets, (list, tuple)) else f"a {type(targets).__name__}"
        raise ValueError(f"detection targets must be a list of {batch_size} dicts (one per image), got {got}")
    for i, target in enumerate(targets):
        boxes, labels = (target.get("boxes"), target.get("labels")) if isinstance(target, dict) else (None, None)
        if not isinstance(boxes, torch.Tensor) or not isinstance(labels, torch.Tensor):
            raise ValueError(f"target {i} must be a dict with tensors 'boxes' (K, 4) and 'labels' (K,)")
        if boxes.dim() != 2 or boxes.shape[1] != 4 or not boxes.is_floating_point():
            raise ValueError(f"target {i}: boxes must be a float tensor (K, 4) of xyxy pixels, got "
                             f"{tuple(boxes.shape)} {boxes.dtype}")
        if labels.shape != (boxes.shape[0],) or labels.is_floating_point():
            raise ValueError(f"target {i}: labels must be an integer tensor ({boxes.shape[0]},), one per box, got "
                             f"{tuple(labels.shape)} {labels.dtype}")
        if labels.numel() and (labels.min() < 1 or labels.max() >= num_classes):
            raise ValueError(f"target {i}: labels must be classes 1 to {num_classes - 1} (0 is the background), got "
                             f"{labels.min().item()} to {labels.max().item()}")
        degenerate = (boxes[:, 2:] <= boxes[:, :2]).any(dim=1)
        if degenerate.any():
            raise ValueError(f"target {i}: box {boxes[degenerate][0].tolist()} has zero or negative width or height")


def match(boxes: torch.Tensor, anchors: torch.Tensor, threshold: float = IOU_THRESHOLD) -> torch.Tensor:
    """``(A,)`` int64: the index of the box each anchor is matched to, or -1 (background)."""
    if boxes.numel() == 0:
        return torch.full((anchors.shape[0],), -1, dtype=torch.int64, device=anchors.device)
    iou = box_iou(boxes, anchors)
    best, matches = iou.max(dim=0)
    matches[best < threshold] = -1
    matches[iou.argmax(dim=1)] = torch.arange(boxes.shape[0], device=anchors.device)
    return matches


def ssd_loss(cls_logits: torch.Tensor, bbox_regression: torch.Tensor, targets: Sequence[dict[str, torch.Tensor]],
             anchors: torch.Tensor, coder: BoxCoder, neg_to_pos: float = NEG_TO_POS) -> dict[str, torch.Tensor]:
    """``{"bbox_regression", "classification"}`` for raw head outputs ``(N, A, C)``, ``(N, A, 4)`` and one set of
    ``(A, 4)`` default boxes shared by the batch."""
    num_foreground, bbox_loss, cls_targets = 0, [], []
    for target, regression in zip(targets, bbox_regression):
        matches = match(target["boxes"], anchors)
        foreground = torch.where(matches >= 0)[0]
        matched = matches[foreground]
        num_foreground += matched.numel()
        encoded = coder.encode(target["boxes"][matched], anchors[foreground])
        bbox_loss.append(F.smooth_l1_loss(regression[foreground], encoded, reduction="sum"))
        classes = torch.zeros(cls_logits.shape[1], dtype=target["labels"].dtype, device=target["labels"].device)
        classes[foreground] = target["labels"][matched]
        cls_targets.append(classes)
    cls_target = torch.stack(cls_targets)
    num_classes = cls_logits.shape[-1]
    cls_loss = F.cross_entropy(cls_logits.reshape(-1, num_classes), cls_target.view(-1),
                               reduction="none").view(cls_target.shape)
    positive = cls_target > 0
    num_negative = neg_to_pos * positive.sum(1, keepdim=True)
    negative_loss = cls_loss.clone()
    negative_loss[positive] = -float("inf")
    _, order = negative_loss.sort(1, descending=True)
    hardest = order.sort(1)[1] < num_negative
    n = max(1, num_foreground)
    return {"bbox_regression": torch.stack(bbox_loss).sum() / n,
            "classification": (cls_loss[positive].sum() + cls_loss[hardest].sum()) / n}
