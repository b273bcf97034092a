"""The int8 agreement check on its own: its threshold and its refusal to decide on too little
evidence, against exact binomial sums, and its verdict on programs whose quality is known
by construction (the same function, a constant, a scrambled one)."""

import math
from fractions import Fraction

import pytest
import torch

from lightnets.deploy import Int8CheckError, check_int8
from lightnets.deploy.int8_check import MAX_FALSE_PASS, false_pass_probability, images_needed, threshold_for


def binomial_tail(n: int, p: Fraction, k: int) -> Fraction:
    """P(Binomial(n, p) >= k), exactly."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


@pytest.mark.parametrize("n, chance", [(16, Fraction(1, 2)), (40, Fraction(1, 2)), (30, Fraction(1, 10)),
                                       (200, Fraction(3, 10)), (64, Fraction(9, 10))])
def test_false_pass_probability_is_the_binomial_tail_at_the_threshold(n, chance):
    threshold = chance + (1 - chance) / 2
    need = math.ceil(threshold * n)
    assert threshold_for(float(chance)) == pytest.approx(float(threshold))
    assert false_pass_probability(n, float(chance)) == pytest.approx(float(binomial_tail(n, chance, need)), rel=1e-9)


def test_threshold_halfway_from_chance():
    assert threshold_for(0.1) == pytest.approx(0.55)  # 10 balanced classes
    assert threshold_for(0.5) == pytest.approx(0.75)  # 2 balanced classes


def test_images_needed_is_where_chance_stops_passing():
    for chance in (0.1, 0.5, 0.8):
        n = images_needed(chance)
        assert false_pass_probability(n, chance) <= MAX_FALSE_PASS < false_pass_probability(n // 2, chance)
    assert images_needed(1.0) is None


def batches(classes: int, images: int, seed: int = 0):
    """Random images with labels equal to ``classify``'s top-1 on them."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(images, 3, 4, 4, generator=g)
    return [(chunk, classify(chunk, classes).argmax(1)) for chunk in x.split(32)]


def classify(x: torch.Tensor, classes: int) -> torch.Tensor:
    weight = torch.randn(classes, x[0].numel(), generator=torch.Generator().manual_seed(1))
    return x.flatten(1) @ weight.T


def test_a_faithful_program_passes_and_reports_accuracy():
    data = batches(10, 300)
    noisy = lambda x: classify(x, 10) + 0.01 * torch.randn(len(x), 10)  # noqa: E731
    check = check_int8(lambda x: classify(x, 10), noisy, data)
    assert check.images == 300 and check.passed
    assert check.agreement > 95 and check.fp32_top1 == 100.0
    assert check.top1_change == pytest.approx(check.int8_top1 - 100.0)
    assert 10 <= check.chance < 30  # random linear classes: roughly balanced


@pytest.mark.parametrize("broken", ["constant", "scrambled"])
def test_a_broken_program_fails_with_the_numbers(broken):
    data = batches(10, 300)
    programs = {
        "constant": lambda x: torch.zeros(len(x), 10).index_fill_(1, torch.tensor([3]), 1.0),
        "scrambled": lambda x: classify(x, 10)[:, torch.randperm(10, generator=torch.Generator().manual_seed(2))],
    }
    with pytest.raises(Int8CheckError, match=r"broken: int8 agrees with fp32's top-1 on .*threshold") as e:
        check_int8(lambda x: classify(x, 10), programs[broken], data)
    check = e.value.check
    assert check.agreement <= check.chance + 5 < check.threshold
    assert check.int8_top1 < 30 and "points" in str(e.value)


def test_too_little_evidence_is_refused():
    two = batches(2, 16)  # two balanced classes: 16 images leave a chance-level program 4% to pass
    with pytest.raises(ValueError, match=r"give at least about \d+ held-out images"):
        check_int8(lambda x: classify(x, 2), lambda x: classify(x, 2), two)
    one_class = [(x, torch.zeros(len(x), dtype=torch.long)) for x, _ in batches(10, 64)]
    with pytest.raises(ValueError, match="more than one class"):
        check_int8(lambda x: torch.ones(len(x), 10), lambda x: torch.ones(len(x), 10), one_class)
    with pytest.raises(ValueError, match="no held-out images"):
        check_int8(lambda x: x, lambda x: x, [])
