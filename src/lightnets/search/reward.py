"""MnasNet's reward and the Pareto front: how latency-aware search ranks networks.

MnasNet (Tan et al. 2019, arXiv:1807.11626, Equation 2) scores a network m by
``ACC(m) * (LAT(m) / T) ** w`` for a target latency T, with ``w = alpha`` where
``LAT(m) <= T`` and ``w = beta`` where it is over. The paper's *soft* setting, alpha = beta =
-0.07, trades accuracy for latency smoothly: a network twice as slow must be about 5% more
accurate to score the same (2 ** -0.07 = 0.953). The *hard* setting, alpha = 0 and beta = -1,
is a latency constraint: under the target only accuracy counts, over it the reward falls as
T / LAT.

The Pareto front of (latency, accuracy) points is the set no other point beats on both:
each network on it is the most accurate at its latency or below.
"""

from __future__ import annotations

import math
from typing import Sequence

REWARDS = {"soft": (-0.07, -0.07), "hard": (0.0, -1.0)}  # setting -> (alpha, beta)


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")


def mnas_reward(accuracy: float, latency_ms: float, target_ms: float, setting: str = "soft") -> float:
    """``accuracy * (latency_ms / target_ms) ** w``, w by ``setting`` (:data:`REWARDS`)."""
    if setting not in REWARDS:
        raise ValueError(f"setting must be one of {', '.join(REWARDS)}, got {setting!r}")
    if isinstance(accuracy, bool) or not isinstance(accuracy, (int, float)) or not math.isfinite(accuracy) \
            or accuracy < 0:
        raise ValueError(f"accuracy must be a number >= 0, got {accuracy!r}")
    _positive("latency_ms", latency_ms)
    _positive("target_ms", target_ms)
    alpha, beta = REWARDS[setting]
    return accuracy * (latency_ms / target_ms) ** (alpha if latency_ms <= target_ms else beta)


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """The indices of the (latency, accuracy) ``points`` on the Pareto front, fastest first:
    those that no other point matches or beats on both with a strict gain on one (of equal
    points, the first)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1], i))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def mark_front(rows: Sequence[dict], target_ms: float | None = None, setting: str = "soft") -> list[dict]:
    """``rows`` (dicts with ``latency_ms`` and ``top1``) with ``pareto`` (on the front) and,
    given a target, MnasNet's ``reward``; None without one."""
    front = set(pareto_front([(r["latency_ms"], r["top1"]) for r in rows]))
    return [{**r, "pareto": i in front,
             "reward": None if target_ms is None else mnas_reward(r["top1"], r["latency_ms"], target_ms, setting)}
            for i, r in enumerate(rows)]
