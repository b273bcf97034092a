"""Starting weights for fine-tuning: a lightnets checkpoint, or a torchvision / timm one.

:func:`load_pretrained` loads them into the model a run trains (refusing a checkpoint of
another model); :func:`fit_classifier` re-initialises the classifier when the data has
another number of classes than the checkpoint, and says so. Every other tensor comes from
the checkpoint.
"""

from __future__ import annotations

import os

from ..checkpoint import load_checkpoint
from ..interop import SOURCES, load_reference_weights
from ..models import LightNet

INIT_SOURCES = ("lightnets", *SOURCES)


def load_pretrained(
    path: str | os.PathLike,
    model_name: str,
    *,
    source: str = "lightnets",
    arch: str | None = None,
) -> tuple[LightNet, str]:
    """The ``model_name`` model holding ``path``'s weights, in training mode, and where they
    came from. ``source`` is ``lightnets`` (a lightnets checkpoint, e.g. another run's
    ``best.pth``) or ``torchvision`` / ``timm``, which need the source's ``arch`` name."""
    if source not in INIT_SOURCES:
        raise ValueError(f"unknown init source {source!r}; valid: {', '.join(INIT_SOURCES)}")
    if source == "lightnets":
        if arch is not None:
            raise ValueError("an arch name is for torchvision / timm checkpoints; a lightnets checkpoint names its model")
        model, _ = load_checkpoint(path)
        origin = f"lightnets checkpoint {path}"
    else:
        if arch is None:
            raise ValueError(f"a {source} checkpoint needs its arch name, one of: {', '.join(SOURCES[source])}")
        model = load_reference_weights(path, source, arch)
        origin = f"{source} {arch} checkpoint {path}"
    found = model.config["name"]
    if found != model_name:
        raise ValueError(f"{origin} holds a {found}, but this run trains a {model_name}; "
                         f"train {found}, or start from a {model_name} checkpoint")
    return model.train(), f"initialised from {origin}"


def fit_classifier(model: LightNet, num_classes: int) -> str:
    """Give ``model`` a freshly initialised ``num_classes`` classifier if its own has another
    size; the sentence that says so, or ``""`` when the head is kept."""
    if model.num_classes == num_classes:
        return ""
    old = model.num_classes
    model.reset_classifier(num_classes)
    return f"classifier head re-initialised for {num_classes} classes (the checkpoint's has {old})"
