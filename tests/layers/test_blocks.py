import pytest
import torch
from torch import nn

from lightnets.layers import (
    ConvNormAct, DepthwiseSeparableConv, InvertedResidual, SqueezeExcite, make_activation,
)


def test_activations_are_native_torch_modules():
    assert isinstance(make_activation("relu6"), nn.ReLU6)
    assert isinstance(make_activation("hard_swish"), nn.Hardswish)
    assert isinstance(make_activation("hard_sigmoid"), nn.Hardsigmoid)
    assert isinstance(make_activation("swish"), nn.SiLU)
    assert isinstance(make_activation("tanh"), nn.Tanh)
    assert isinstance(make_activation(None), nn.Identity)
    with pytest.raises(ValueError, match="unknown activation 'gelu'.*hard_swish"):
        make_activation("gelu")


def test_hard_swish_is_x_relu6_x_plus_3_over_6():
    x = torch.linspace(-5, 5, 101)
    assert torch.allclose(make_activation("hard_swish")(x.clone()), x * torch.clamp(x + 3, 0, 6) / 6)


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match="groups=3 must divide both in_chs=8 and out_chs=8"):
        ConvNormAct(8, 8, groups=3)


def test_depthwise_separable_is_depthwise_then_pointwise():
    block = DepthwiseSeparableConv(32, 64)
    assert block.dw.conv.groups == 32 and block.dw.conv.kernel_size == (3, 3)
    assert block.pw.conv.kernel_size == (1, 1) and block.pw.conv.groups == 1
    assert isinstance(block.dw.act, nn.ReLU) and isinstance(block.pw.act, nn.ReLU)
    assert block(torch.randn(1, 32, 16, 16)).shape == (1, 64, 16, 16)


def test_inverted_residual_has_linear_projection_and_shortcut_only_when_shapes_match():
    block = InvertedResidual(24, 24, 144, stride=1)
    assert block.has_shortcut
    assert isinstance(block.project.act, nn.Identity), "the bottleneck projection must be linear"
    assert block.expand.conv.out_channels == 144
    assert not InvertedResidual(24, 32, 144).has_shortcut
    assert not InvertedResidual(24, 24, 144, stride=2).has_shortcut
    assert InvertedResidual(16, 16, 16).expand is None  # t = 1: no expansion layer


def test_inverted_residual_shortcut_adds_input():
    block = InvertedResidual(8, 8, 16).eval()
    for p in block.project.parameters():
        nn.init.zeros_(p)  # BN gamma = beta = 0: the residual branch outputs zero
    x = torch.randn(2, 8, 8, 8)
    assert torch.equal(block(x), x)


def test_squeeze_excite_uses_explicit_reduced_width_and_rescales_channels():
    se = SqueezeExcite(64, 16)
    assert se.fc1.out_channels == 16 and se.fc2.out_channels == 64
    x = torch.rand(2, 64, 7, 7)
    y = se(x)
    ratio = y / x
    assert torch.allclose(ratio, ratio[:, :, :1, :1].expand_as(ratio), atol=1e-6)  # one scale per channel
    assert (ratio >= 0).all() and (ratio <= 1).all()  # hard-sigmoid gate
    with pytest.raises(ValueError, match="reduced width must be >= 1"):
        SqueezeExcite(64, 0)


@pytest.mark.parametrize("bad", [-1, 0, float("inf"), float("nan"), True, "1e-5"])
def test_bn_eps_must_be_a_finite_positive_number(bad):
    with pytest.raises(ValueError, match=r"bn_eps must be a finite number > 0 .*, got "):
        ConvNormAct(8, 8, bn_eps=bad)
    assert ConvNormAct(8, 8, bn_eps=1e-3).bn.eps == 1e-3
