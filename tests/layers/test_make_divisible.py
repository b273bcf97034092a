import pytest

from lightnets.layers import check_width, make_divisible, scale_width


@pytest.mark.parametrize(
    "value, expected",
    [(32, 32), (24, 24), (11.2, 16), (12, 16), (18, 24), (1280 * 1.4, 1792), (3.0, 8), (100, 104), (92, 96)],
)
def test_make_divisible_rounds_to_nearest_multiple_of_8_never_losing_10_percent(value, expected):
    assert make_divisible(value) == expected
    assert make_divisible(value) % 8 == 0
    assert make_divisible(value) >= 0.9 * value


def test_scale_width_is_the_width_multiplier():
    assert scale_width(64, 0.25) == 16
    assert scale_width(1024, 0.75) == 768
    assert scale_width(32, 0.35) == 16  # MobileNetV2 0.35: stem 11.2 -> 16


@pytest.mark.parametrize("bad", [0, -0.5, float("nan")])
def test_width_must_be_positive(bad):
    with pytest.raises(ValueError, match="width must be > 0"):
        check_width(bad)


def test_width_must_be_a_number():
    with pytest.raises(TypeError, match="width must be a number"):
        check_width("wide")
