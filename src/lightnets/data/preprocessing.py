"""How images become model inputs: size, normalisation, resampling and crop policy.

A :class:`Preprocessing` is stored in checkpoints (``to_dict``) so that evaluation and
deployment feed a trained model exactly what it was trained on.

Two styles:

- ``"imagenet"``: train on ``RandomResizedCrop``; evaluate by resizing the shorter side
  to ``input_size / crop_pct`` and centre-cropping ``input_size`` (0.875 = 224 of 256,
  the convention of the MobileNet papers and timm).
- ``"cifar"``: the image is already (about) ``input_size``; train with a 4-pixel
  reflect padding and a random crop back to ``input_size`` (the ResNet paper's CIFAR
  recipe); ``crop_pct`` is 1.0, so evaluation only resizes images of another size.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from .errors import DataError

INTERPOLATIONS = ("bilinear", "bicubic", "nearest")
STYLES = ("imagenet", "cifar")
IN_CHANS = {1: "L", 3: "RGB"}  # channels -> the PIL mode images are converted to
SMALL_INPUT = 64  # inputs up to this size get the "cifar" style by default (for_size)

# Per-channel mean / std of the 50,000 CIFAR-10 training images (original arrays).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
# The same images converted to grey with PIL's "L" (ITU-R 601-2 luma), as lightnets
# converts them for in_chans=1; measured on the 50,000 training JPEGs of
# ../shared/data/cifar10-jpeg.tar.gz.
CIFAR10_GRAY_MEAN = (0.4808,)
CIFAR10_GRAY_STD = (0.2389,)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Preprocessing:
    """The input pipeline's settings; validated on construction."""

    input_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str = "bilinear"
    crop_pct: float = 0.875
    style: str = "imagenet"
    in_chans: int = 3

    def __post_init__(self) -> None:
        if not _is_int(self.in_chans) or self.in_chans not in IN_CHANS:
            raise DataError(f"in_chans must be one of {sorted(IN_CHANS)} (grey or RGB images), got {self.in_chans!r}")
        if not _is_int(self.input_size) or self.input_size < 1:
            raise DataError(f"input_size must be an integer >= 1 (pixels per side), got {self.input_size!r}")
        for name in ("mean", "std"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or not all(map(_is_number, value)):
                raise DataError(f"{name} must be a list of {self.in_chans} numbers (one per channel), got {value!r}")
            if len(value) != self.in_chans:
                raise DataError(f"{name} must have one value per channel (in_chans={self.in_chans}), "
                                f"got {len(value)}: {list(value)}")
            object.__setattr__(self, name, tuple(float(v) for v in value))
        if any(s <= 0 for s in self.std):
            raise DataError(f"std values must be > 0, got {list(self.std)}")
        if self.interpolation not in INTERPOLATIONS:
            raise DataError(f"unknown interpolation {self.interpolation!r}; valid: {', '.join(INTERPOLATIONS)}")
        if self.style not in STYLES:
            raise DataError(f"unknown preprocessing style {self.style!r}; valid: {', '.join(STYLES)}")
        if not _is_number(self.crop_pct) or not 0 < self.crop_pct <= 1:
            raise DataError(f"crop_pct must be a number in (0, 1] (the share of the resized image kept "
                            f"by the centre crop), got {self.crop_pct!r}")
        object.__setattr__(self, "crop_pct", float(self.crop_pct))

    @property
    def resize_size(self) -> int:
        """The shorter side evaluation resizes to before the centre crop."""
        return int(self.input_size / self.crop_pct)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (lists for mean and std)."""
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessing:
        """Rebuild from :meth:`to_dict`; unknown or missing fields are errors."""
        if not isinstance(d, dict):
            raise DataError(f"preprocessing must be a dict, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise DataError(f"unknown preprocessing field(s) {', '.join(map(str, unknown))}; valid: {', '.join(names)}")
        missing = [f.name for f in fields(cls) if f.name not in d and f.default is MISSING]
        if missing:
            raise DataError(f"preprocessing is missing required field(s) {', '.join(missing)}; got {sorted(d)}")
        return cls(**d)

    @classmethod
    def cifar(cls, input_size: int = 32, in_chans: int = 3) -> Preprocessing:
        """CIFAR-10 statistics, the ``"cifar"`` style and no eval crop."""
        gray = in_chans == 1
        return cls(input_size=input_size, mean=CIFAR10_GRAY_MEAN if gray else CIFAR10_MEAN,
                   std=CIFAR10_GRAY_STD if gray else CIFAR10_STD, interpolation="bilinear",
                   crop_pct=1.0, style="cifar", in_chans=in_chans)

    @classmethod
    def for_size(cls, default_cfg: dict[str, Any], in_chans: int, input_size: int,
                 style: str | None = None) -> Preprocessing:
        """:meth:`cifar` or :meth:`from_model` at ``input_size``: ``style``, by default
        ``"cifar"`` for inputs of :data:`SMALL_INPUT` pixels or less."""
        style = style or ("cifar" if input_size <= SMALL_INPUT else "imagenet")
        if style not in STYLES:
            raise DataError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
        if style == "cifar":
            return cls.cifar(input_size, in_chans=in_chans)
        return cls.from_model(default_cfg, in_chans, input_size)

    @classmethod
    def from_model(cls, default_cfg: dict[str, Any], in_chans: int, input_size: int | None = None) -> Preprocessing:
        """The ImageNet-style pipeline a model's ``default_cfg`` describes (size, mean/std,
        interpolation, crop), optionally at another ``input_size``."""
        return cls(input_size=input_size or default_cfg["input_size"][-1], mean=default_cfg["mean"],
                   std=default_cfg["std"], interpolation=default_cfg["interpolation"],
                   crop_pct=default_cfg["crop_pct"], style="imagenet", in_chans=in_chans)
