"""Train and eval pipelines (torchvision.transforms.v2): PIL image -> normalised float32 CHW tensor.

Train, ``"imagenet"`` style: ``RandomResizedCrop`` + horizontal flip (the Inception /
MobileNet recipe). Train, ``"cifar"`` style: resize to ``input_size`` if the image has
another size, pad 4 pixels (reflect) and crop ``input_size`` at random, horizontal flip.
Eval, both styles: resize the shorter side to ``input_size / crop_pct`` and centre-crop
``input_size`` (with the cifar style's ``crop_pct`` of 1.0 this only resizes images of
another size). ``augment`` adds RandAugment (Cubuk et al. 2020, N=2, M=9) or
TrivialAugment (Mueller & Hutter 2021) after the flip, on uint8 pixels.
"""

from __future__ import annotations

import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import InterpolationMode

from .errors import DataError
from .preprocessing import Preprocessing

AUGMENTS = {"randaugment": v2.RandAugment, "trivialaugment": v2.TrivialAugmentWide}
CIFAR_PADDING = 4


def resize_and_centre_crop(pre: Preprocessing, shorter_side: int) -> list[v2.Transform]:
    return [v2.Resize(shorter_side, interpolation=InterpolationMode(pre.interpolation), antialias=True),
            v2.CenterCrop(pre.input_size)]


def _to_normalised_tensor(pre: Preprocessing) -> list[v2.Transform]:
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(pre.mean, pre.std), v2.ToPureTensor()]


def check_augment(augment: str | None) -> None:
    """Raise :class:`DataError` unless ``augment`` is ``None`` or a name in :data:`AUGMENTS`."""
    if augment is not None and augment not in AUGMENTS:
        raise DataError(f"unknown augment {augment!r}; valid: None (no extra augmentation), {', '.join(AUGMENTS)}")


def train_transform(pre: Preprocessing, augment: str | None = None) -> v2.Compose:
    """Random crop and flip in ``pre.style``, then the optional ``augment`` policy."""
    check_augment(augment)
    if pre.style == "cifar":
        crop = [*resize_and_centre_crop(pre, pre.input_size),
                v2.RandomCrop(pre.input_size, padding=CIFAR_PADDING, padding_mode="reflect")]
    else:
        crop = [v2.RandomResizedCrop(pre.input_size, interpolation=InterpolationMode(pre.interpolation),
                                     antialias=True)]
    policy = [AUGMENTS[augment]()] if augment is not None else []
    return v2.Compose([v2.ToImage(), *crop, v2.RandomHorizontalFlip(), *policy, *_to_normalised_tensor(pre)])


def eval_transform(pre: Preprocessing) -> v2.Compose:
    """Deterministic: resize to ``pre.resize_size``, centre-crop ``pre.input_size``, normalise."""
    return v2.Compose([v2.ToImage(), *resize_and_centre_crop(pre, pre.resize_size), *_to_normalised_tensor(pre)])
