"""MnasNet's reward (Equation 2) against hand-computed values, and the Pareto front on known points."""

import pytest

from lightnets.search import mnas_reward, pareto_front


@pytest.mark.parametrize("latency, setting, expected", [
    (80, "soft", 0.75),  # at the target: accuracy alone
    (160, "soft", 0.75 * 2 ** -0.07),  # twice the target: 0.75 x 0.9526 = 0.7145
    (40, "soft", 0.75 * 0.5 ** -0.07),  # half: 0.75 x 1.0497 = 0.7873
    (160, "hard", 0.375),  # over the target: falls as T / LAT
    (40, "hard", 0.75),  # under it: accuracy alone
])
def test_the_reward_matches_hand_computed_values(latency, setting, expected):
    assert mnas_reward(0.75, latency, 80, setting) == pytest.approx(expected, rel=1e-12)
    assert round(mnas_reward(0.75, 160, 80), 4) == 0.7145


def test_the_reward_refuses_what_it_cannot_score():
    with pytest.raises(ValueError, match="setting must be one of soft, hard, got 'medium'"):
        mnas_reward(0.7, 10, 10, "medium")
    with pytest.raises(ValueError, match="latency_ms must be a number > 0, got 0"):
        mnas_reward(0.7, 0, 10)
    with pytest.raises(ValueError, match="accuracy must be a number >= 0"):
        mnas_reward(float("nan"), 1, 10)


def test_the_pareto_front_keeps_what_nothing_beats():
    points = [(10, 0.5), (20, 0.6), (15, 0.4), (30, 0.6), (25, 0.7), (20, 0.6), (20, 0.55)]
    # (15, 0.4) loses to (10, 0.5); (30, 0.6) to (25, 0.7); the repeat of (20, 0.6) and (20, 0.55) to the first
    assert pareto_front(points) == [0, 1, 4]
    assert pareto_front([]) == []
