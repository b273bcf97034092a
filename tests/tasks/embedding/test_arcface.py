"""ArcFace (arXiv:1801.07698) on cases small enough to work by hand."""

import math

import pytest
import torch
import torch.nn.functional as F

from lightnets.tasks.embedding import ArcFace


def unit_centres(s: float, m: float, easy_margin: bool = False) -> ArcFace:
    """Two classes in 2-d with centres on the axes."""
    loss = ArcFace(2, 2, s=s, m=m, easy_margin=easy_margin)
    with torch.no_grad():
        loss.weight.copy_(torch.eye(2))
    return loss


def test_the_margin_widens_the_target_angle():
    # x = (1, 1): 45 degrees from both centres. Logits: s cos(pi/4 + m) for class 0, s cos(pi/4) for class 1,
    # s = 2, m = 0.5: 0.56308 and 1.41421; cross-entropy log(1 + e^(1.41421 - 0.56308)) = 1.20666
    loss = unit_centres(s=2, m=0.5)
    x, y = torch.tensor([[1.0, 1.0]]), torch.tensor([0])
    torch.testing.assert_close(loss.logits(x, y), torch.tensor([[0.5630791, 1.4142136]]))
    torch.testing.assert_close(loss(x, y), torch.tensor(1.2066600))
    # the embedding's length does not matter: both sides are normalised
    torch.testing.assert_close(loss(10 * x, y), loss(x, y))


def test_no_margin_is_normalised_softmax_cross_entropy():
    torch.manual_seed(0)
    loss = ArcFace(16, 5, s=30, m=0.0)
    x, y = torch.randn(8, 16), torch.randint(0, 5, (8,))
    expected = F.cross_entropy(30 * F.normalize(x) @ F.normalize(loss.weight).T, y)
    torch.testing.assert_close(loss(x, y), expected)


def test_beyond_pi_minus_m_the_logit_is_cos_minus_m_sin_m():
    # x = (-1, 0.1): theta_0 = pi - atan(0.1), so theta_0 + 0.5 > pi. cos(theta_0) = -1 / sqrt(1.01) = -0.99504;
    # the authors' replacement: cos - m sin(m) = -0.99504 - 0.5 sin(0.5) = -1.23475 (cos(theta + m) would be -0.908,
    # a larger logit for a worse angle)
    x, y = torch.tensor([[-1.0, 0.1]]), torch.tensor([0])
    assert math.acos(-1 / math.sqrt(1.01)) + 0.5 > math.pi
    torch.testing.assert_close(unit_centres(s=1, m=0.5).logits(x, y)[0, 0], torch.tensor(-1.2347500))
    # easy margin: no margin where cos(theta) <= 0
    torch.testing.assert_close(unit_centres(s=1, m=0.5, easy_margin=True).logits(x, y)[0, 0], torch.tensor(-0.9950372))
    # and with it, inside 90 degrees the margin applies as before
    torch.testing.assert_close(unit_centres(s=2, m=0.5, easy_margin=True).logits(torch.tensor([[1.0, 1.0]]), y)[0, 0],
                               torch.tensor(0.5630791))


def test_gradients_are_finite_at_the_centre_itself():
    loss = unit_centres(s=64, m=0.5)
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)  # cos = 1 exactly: acos' slope is infinite there
    loss(x, torch.tensor([0, 1])).backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(loss.weight.grad).all()


@pytest.mark.parametrize("m", [-0.1, math.pi / 2, 2.0, float("nan"), True])
def test_a_margin_outside_0_to_half_pi_is_refused(m):
    with pytest.raises(ValueError, match=r"the angular margin m must be a number of radians in \[0, pi/2\)"):
        ArcFace(8, 3, m=m)


@pytest.mark.parametrize("kwargs, message", [
    ({"s": 0}, "the scale s must be a finite number > 0"),
    ({"num_classes": 1}, "num_classes must be an integer >= 2, got 1"),
    ({"embedding_dim": 0}, "embedding_dim must be an integer >= 1, got 0"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ArcFace(**{"embedding_dim": 8, "num_classes": 3, **kwargs})


def test_bad_labels_and_shapes_are_refused():
    loss = ArcFace(8, 3)
    with pytest.raises(ValueError, match="labels must be class indices from 0 to 2, got values from 0 to 3"):
        loss(torch.randn(2, 8), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"expected embeddings of shape \(N, 8\), got \(2, 4\)"):
        loss(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="one integer .* label per embedding"):
        loss(torch.randn(2, 8), torch.tensor([0.0, 1.0]))
