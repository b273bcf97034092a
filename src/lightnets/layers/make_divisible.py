"""Channel rounding and the width multiplier policy shared by every family.

MobileNetV1 introduced the width multiplier alpha (thin every layer uniformly); the
TF reference code for MobileNetV2/V3 rounds every scaled width to a multiple of 8 so
that vector units stay full, and never rounds down by more than 10%.
"""

from __future__ import annotations


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, never losing more than 10%."""
    if divisor < 1:
        raise ValueError(f"divisor must be >= 1, got {divisor}")
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def scale_width(channels: int, width: float, divisor: int = 8) -> int:
    """The width multiplier: ``channels * width`` rounded by :func:`make_divisible`."""
    return make_divisible(channels * width, divisor)


def check_width(width: float) -> float:
    """Validate a user-supplied width multiplier (alpha in the MobileNet papers)."""
    if isinstance(width, bool) or not isinstance(width, (int, float)):
        raise TypeError(f"width must be a number, got {width!r}")
    if not width > 0:
        raise ValueError(f"width must be > 0 (the papers use 0.25 to 1.4), got {width}")
    return float(width)
