"""The dense tasks by model name: which task a registered name belongs to, and for that task how its model is built,
its data opened and its training :class:`~lightnets.training.task.Task` made.

The command line (``lightnets train / eval / predict``) goes through here, so it treats segmentation and detection
alike. Names come from each task's registry, which imports no torch; the rest loads on first use.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .detection.registry import DETECTION_MODELS
from .segmentation.registry import SEGMENTATION_MODELS


@dataclass(frozen=True)
class DenseTask:
    """One dense task: its name, its registered model names and the dotted names of what builds its parts."""

    name: str
    models: dict[str, str]
    builders: str  # the module whose function of each registered name builds that model
    open_data: str  # module:function opening a folder (or "sample") as DataSplits
    task: str  # module:class of the training Task, made from the number of classes
    render: str  # module:function drawing a prediction on one image

    def builder(self, name: str) -> Callable:
        """The function of :attr:`builders` that builds ``name``; an unknown name is a ValueError with the close
        matches."""
        if name not in self.models:
            close = difflib.get_close_matches(str(name), self.models, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"unknown {self.name} model {name!r}{hint} (registered: {', '.join(self.models)})")
        return getattr(importlib.import_module(self.builders), name)

    def create_model(self, name: str, **kwargs: Any):
        return self.builder(name)(**kwargs)

    def variants(self, name: str) -> dict[str, Any]:
        """The builder's keyword arguments beyond num_classes / in_chans / width, with their defaults."""
        params = inspect.signature(self.builder(name)).parameters.values()
        return {p.name: p.default for p in params if p.name not in ("num_classes", "in_chans", "width")}

    def data(self, path: str | os.PathLike, *, size: int, mean: Sequence[float], std: Sequence[float]):
        return _resolve(self.open_data)(path, size=size, mean=mean, std=std)

    def training_task(self, num_classes: int):
        return _resolve(self.task)(num_classes)

    def draw(self, model, image, size: int, mean: Sequence[float], std: Sequence[float], classes: Sequence[str]):
        """``(drawn PIL image, what was found as a dict)`` for one PIL image."""
        return _resolve(self.render)(model, image, size, mean, std, classes)


DENSE_TASKS = {
    "segmentation": DenseTask("segmentation", SEGMENTATION_MODELS,
                              "lightnets.tasks.segmentation.model",
                              "lightnets.data.dense_sources:open_segmentation_data",
                              "lightnets.tasks.segmentation.task:SegmentationTask",
                              "lightnets.tasks.segmentation.render:render"),
    "detection": DenseTask("detection", DETECTION_MODELS,
                           "lightnets.tasks.detection.model",
                           "lightnets.data.dense_sources:open_detection_data",
                           "lightnets.tasks.detection.task:DetectionTask",
                           "lightnets.tasks.detection.render:render"),
}


def dense_task_of(name: str) -> DenseTask | None:
    """The dense task whose registry holds the model ``name``; None for a classifier (or an unknown name)."""
    return next((task for task in DENSE_TASKS.values() if name in task.models), None)


def _resolve(dotted: str):
    module, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module), attribute)
