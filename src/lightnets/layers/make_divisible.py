"""Channel rounding and the width multiplier policy shared by every family.

MobileNetV1 introduced the width multiplier alpha (thin every layer uniformly); the
TF reference code for MobileNetV2/V3 rounds every scaled width to a multiple of 8 so
that vector units stay full, and never rounds down by more than 10%.

The policy bounds the widths worth building. At the bottom, every scaled layer reaches
the minimum of one ``divisor`` of channels and the width no longer changes the model
(:func:`smallest_width`). At the top, :data:`MAX_WIDTH`: the papers use 0.25 to 1.4 (2.0
at most for EfficientNet-B7's width coefficient), and parameters grow with the square of
the width, so MobileNetV1 at 10 already has about 420M parameters (1.7 GB in fp32) and at
1000 it would need terabytes.
"""

from __future__ import annotations

import math
from typing import Iterable

MAX_WIDTH = 10.0
MAX_ROUND_DOWN = 0.9  # a rounded width keeps at least 90% of the scaled value


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, never losing more than 10%."""
    if divisor < 1:
        raise ValueError(f"divisor must be >= 1, got {divisor}")
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < MAX_ROUND_DOWN * value:
        rounded += divisor
    return rounded


def scale_width(channels: int, width: float, divisor: int = 8) -> int:
    """The width multiplier: ``channels * width`` rounded by :func:`make_divisible`."""
    return make_divisible(channels * width, divisor)


def smallest_width(channels: Iterable[int], divisor: int = 8) -> float:
    """The width at or below which every one of ``channels`` (a family's width-scaled table
    entries) rounds to ``divisor`` channels, the minimum.

    :func:`make_divisible` returns more than ``divisor`` exactly when the 10% rule fires,
    that is when the scaled value exceeds ``divisor / 0.9``; the widest entry gets there first.
    """
    return divisor / MAX_ROUND_DOWN / max(channels)


def check_width(width: float, scaled_channels: Iterable[int] = (), divisor: int = 8) -> float:
    """Validate a user-supplied width multiplier (alpha in the MobileNet papers).

    ``scaled_channels`` are the channel counts the family multiplies by the width; a width
    that rounds all of them to the minimum is refused, with the smallest one that does not.
    """
    if isinstance(width, bool) or not isinstance(width, (int, float)):
        raise TypeError(f"width must be a number, got {width!r}")
    if not (0 < width <= MAX_WIDTH):  # NaN fails too
        raise ValueError(f"width must be > 0 and at most {MAX_WIDTH:g} (the papers use 0.25 to 1.4; parameters grow "
                         f"with its square), got {width}")
    scaled_channels = tuple(scaled_channels)
    if scaled_channels and all(scale_width(c, width, divisor) <= divisor for c in scaled_channels):
        bound = smallest_width(scaled_channels, divisor)
        raise ValueError(
            f"width {width:g} rounds every width-scaled layer to the minimum of {divisor} channels, so it no "
            f"longer changes the model; the smallest width that does is just above {bound:.6g} (where the widest "
            f"such layer, {max(scaled_channels)} channels, first gets more than {divisor}), e.g. {_round_up(bound):g}"
        )
    return float(width)


def _round_up(value: float, digits: int = 2) -> float:
    """``value`` rounded up to ``digits`` significant digits: a width a user can type."""
    step = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return math.floor(value / step + 1) * step
