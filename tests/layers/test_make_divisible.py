import pytest

from lightnets.layers import check_width, make_divisible, scale_width
from lightnets.layers.make_divisible import MAX_WIDTH, smallest_width


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


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), float("inf"), 10.5, 1000])
def test_width_must_be_positive_and_at_most_10(bad):
    with pytest.raises(ValueError, match=r"width must be > 0 and at most 10 \(the papers use 0.25 to 1.4"):
        check_width(bad)
    assert check_width(MAX_WIDTH) == 10.0


@pytest.mark.parametrize("channels", [(1024,), (32, 64, 1024), (16, 24, 320), (7,), (100, 960)])
def test_smallest_width_is_where_make_divisible_first_leaves_the_minimum(channels):
    bound = smallest_width(channels)
    assert all(scale_width(c, bound * (1 - 1e-9)) == 8 for c in channels)
    assert scale_width(max(channels), bound * (1 + 1e-9)) > 8


def test_a_width_that_rounds_every_layer_to_the_minimum_is_refused_with_the_smallest_useful_one():
    with pytest.raises(ValueError, match=r"width 1e-09 rounds every width-scaled layer to the minimum of 8 channels"
                                         r".* just above 0.00868056 .*1024 channels.*, e.g. 0.0087$"):
        check_width(1e-9, (32, 64, 1024))
    assert check_width(0.0087, (32, 64, 1024)) == 0.0087  # the suggested width passes
    with pytest.raises(ValueError, match="just above 0.00868056"):
        check_width(0.00868, (32, 64, 1024))


def test_width_must_be_a_number():
    with pytest.raises(TypeError, match="width must be a number"):
        check_width("wide")
