"""Detection as a training task (:class:`lightnets.training.task.Task`): SSD's losses (:mod:`.loss`) summed, scored
by COCO's box mAP@[.5:.95] on the validation set (a percentage), with AP@.5 beside it.

The validation boxes are scored with pycocotools' ``COCOeval`` against a ground truth built in memory from the
validation targets, in the pixels of the images the model sees (our transforms resize boxes with the images, so no
rescaling to the original sizes is needed: COCO's area ranges then refer to the resized images). Classes are
labels 1..C-1 as the data gives them (:class:`~lightnets.data.coco.CocoDetection`: ``classes[0]`` is the
background), so a model for ``data.classes`` has ``num_classes == len(data.classes)``. Under torch.distributed
each rank scores its shard and the detections and targets are gathered (``all_gather_object``) before COCOeval.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any, Callable, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from ...data import DataSplits, Preprocessing
from ...data.dense_transforms import detection_collate
from ...training.config import TrainConfig
from ...training.task import Score, Step, Task, check_common
from .model import SSDLite

Record = tuple[tuple[int, int], dict[str, list], dict[str, list]]  # image size, targets, detections (CPU lists)


def coco_map(records: list[Record], num_classes: int) -> tuple[float, float]:
    """``(mAP@[.5:.95], AP@.5)`` of ``records`` by pycocotools, boxes converted from xyxy to COCO's xywh."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations, results = [], [], []
    for image_id, ((h, w), target, found) in enumerate(records, start=1):
        images.append({"id": image_id, "height": h, "width": w})
        for (x1, y1, x2, y2), label in zip(target["boxes"], target["labels"]):
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": label,
                                "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
        for (x1, y1, x2, y2), score, label in zip(found["boxes"], found["scores"], found["labels"]):
            results.append({"image_id": image_id, "category_id": label, "bbox": [x1, y1, x2 - x1, y2 - y1],
                            "score": score})
    if not annotations:
        raise ValueError("nothing to evaluate: the validation targets have no box")
    if not results:
        return 0.0, 0.0
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress and summary
        truth = COCO()
        truth.dataset = {"images": images, "annotations": annotations,
                         "categories": [{"id": c} for c in range(1, num_classes)]}
        truth.createIndex()
        evaluation = COCOeval(truth, truth.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0]), float(evaluation.stats[1])


def _lists(d: dict[str, torch.Tensor], keys: tuple[str, ...]) -> dict[str, list]:
    return {k: d[k].detach().cpu().tolist() for k in keys}


def gather_records(records: list[Record]) -> list[Record]:
    """Every rank's records, in rank order (only this rank's without torch.distributed)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return records
    gathered: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(gathered, records)
    return [r for rank in gathered for r in rank]


class DetectionTask(Task):
    """SSD's localisation + confidence loss of a ``num_classes`` :class:`~.model.SSDLite` (background included);
    ``evaluate`` gives the mean loss per image, the mAP as the score and AP@.5 (``map50``)."""

    name, score, label = "detection", "map", "mAP"
    collate = staticmethod(detection_collate)

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.model: SSDLite | None = None

    def check(self, model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig) -> None:
        """Check ``model`` against the data and remember it: its default boxes are what ``step`` matches the
        targets to (the network ``step`` gets may be wrapped for DDP or compiled)."""
        if not isinstance(model, SSDLite):
            raise TypeError(f"a detection run needs a detection model (create_detection_model(...)), got "
                            f"{type(model).__name__}")
        if model.num_classes != self.num_classes:
            raise ValueError(f"the model scores {model.num_classes} classes but the DetectionTask was made for "
                             f"{self.num_classes}")
        classes = list(data.classes)
        if len(classes) < 2:
            raise ValueError(f"the data has {len(classes)} class(es); detection needs the background (label 0) and at "
                             "least one object class")
        if model.num_classes != len(classes):
            raise ValueError(f"the model scores {model.num_classes} classes (background included) but the data has "
                             f"{len(classes)} (background and {len(classes) - 1} object classes); build it with "
                             f"num_classes={len(classes)}")
        check_common(model, data, pre, config)
        self.model = model

    def targets_to(self, targets: list[dict[str, Any]], device: torch.device) -> list[dict[str, Any]]:
        return [{k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in t.items()}
                for t in targets]

    def step(self, network: nn.Module, images: torch.Tensor, targets: list[dict[str, Any]]) -> Step:
        if self.model is None:
            raise RuntimeError("DetectionTask.check(model, ...) must run before step (train() calls it)")
        losses = self.model.loss(network(images), targets, images.shape[-2:])
        return Step(sum(losses.values()), images.shape[0])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: Iterable, *, device: torch.device, progress: bool, desc: str,
                 reduce: Callable[[torch.Tensor], None]) -> Score:
        sums = torch.zeros(2, dtype=torch.float64, device=device)  # loss x images, images
        records: list[Record] = []
        was_training = model.training
        model.eval()
        try:
            for images, targets in tqdm(loader, desc=desc, disable=not progress, leave=False, unit="batch"):
                images, targets = images.to(device), self.targets_to(targets, device)
                size = tuple(images.shape[-2:])
                output = model(images)
                sums[0] += sum(model.loss(output, targets, size).values()).double() * images.shape[0]
                sums[1] += images.shape[0]
                for target, found in zip(targets, model.postprocess(output, size)):
                    records.append((size, _lists(target, ("boxes", "labels")),
                                    _lists(found, ("boxes", "scores", "labels"))))
        finally:
            model.train(was_training)
        reduce(sums)
        mean_ap, ap50 = coco_map(gather_records(records), model.num_classes)
        return Score(sums[0].item() / sums[1].item(), 100 * mean_ap, {"map50": 100 * ap50})

    def head(self, model: nn.Module) -> nn.Module:
        """The extra layers and the prediction heads: what a classification checkpoint of the backbone lacks."""
        return nn.ModuleList([model.extras, model.head])
