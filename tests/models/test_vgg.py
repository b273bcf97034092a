"""VGG-11/13/16/19 with and without BN (Simonyan and Zisserman 2014, Table 1, configurations
A, B, D, E): weight layers per configuration, and torchvision's parameter counts and GFLOPS
(its weights' metadata) for all eight. Built once each, on the meta device."""

import functools

import pytest
import torch
import torchvision
from torch import nn

from lightnets import create_model, profile
from lightnets.interop import convert_state_dict
from lightnets.io import CheckpointError
from lightnets.models.vgg import vgg

NAMES = [f"vgg{d}{bn}" for bn in ("", "_bn") for d in (11, 13, 16, 19)]


@functools.cache
def meta_model(name, **variant):
    with torch.device("meta"):
        return create_model(name, **variant)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_and_macs_are_torchvisions(name):
    meta = getattr(torchvision.models, f"{name.upper()}_Weights").IMAGENET1K_V1.meta
    model = meta_model(name)
    assert sum(p.numel() for p in model.parameters()) == meta["num_params"]
    assert round(profile(model, 224).macs / 1e9, 3) == meta["_ops"]  # torchvision's "GFLOPS" are GMACs
    assert model.min_input == meta["min_size"][0] == 32


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
def test_weight_layers_are_table_ones(depth):
    """The depth is the number of weight layers: the convs of the configuration and 3 FC layers,
    all convs 3x3 with stride 1 and padding 1."""
    plain, with_bn = meta_model(f"vgg{depth}"), meta_model(f"vgg{depth}_bn")
    conv_layers = [m for m in plain.modules() if isinstance(m, nn.Conv2d)]
    assert len(conv_layers) + sum(isinstance(m, nn.Linear) for m in plain.modules()) == depth
    assert {(m.kernel_size, m.stride, m.padding) for m in conv_layers} == {((3, 3), (1, 1), (1, 1))}
    assert [f["num_chs"] for f in plain.feature_info] == [64, 128, 256, 512, 512]
    assert [f["reduction"] for f in plain.feature_info] == [2, 4, 8, 16, 32]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in with_bn.modules()) == len(conv_layers)
    assert all(m.bias is not None for m in with_bn.modules() if isinstance(m, nn.Conv2d))  # as torchvision's


def test_vgg16_layers_and_head():
    model = meta_model("vgg16")
    assert [len(stage) - 1 for stage in model.stages] == [2, 2, 3, 3, 3]  # config D: convs per group
    fc = [m.weight.shape for m in model.head.modules() if isinstance(m, nn.Linear)]
    assert fc == [(4096, 25088), (4096, 4096), (1000, 4096)]
    assert [m.p for m in model.head.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    assert model.forward_features(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 512, 7, 7)


def test_width_thins_every_layer_and_a_thin_vgg_runs():
    model = create_model("vgg11", width=0.125, num_classes=3).eval()
    assert [c.out_channels for c in model.modules() if isinstance(c, nn.Conv2d)] == [8, 16, 32, 32, 64, 64, 64, 64]
    assert model.head.hidden[0].fc.weight.shape == (512, 64 * 7 * 7)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 3)


def test_bad_depth_and_input():
    with pytest.raises(ValueError, match=r"VGG depth must be one of 11, 13, 16, 19 \(Table 1: A, B, D, E\), got 20"):
        vgg(depth=20)
    with pytest.raises(ValueError, match="vgg16 has no variant option depth"):
        create_model("vgg16", depth=19)
    with pytest.raises(ValueError, match="input 16x16 is smaller than the network's total stride 32"):
        create_model("vgg11", width=0.125)(torch.randn(1, 3, 16, 16))


def test_a_vgg_checkpoint_loaded_as_another_network_says_which_it_fits():
    with torch.device("meta"):
        state = torchvision.models.vgg11_bn().state_dict()
    for arch in ("alexnet", "vgg11"):
        with pytest.raises(CheckpointError, match=f"not fit torchvision '{arch}'; its tensors fit .*'vgg11_bn'"):
            convert_state_dict(state, "torchvision", arch)


def test_every_bn_of_a_vgg_bn_folds_into_its_conv():
    from lightnets.deploy import fold_bn

    model = create_model("vgg11_bn", width=0.125, num_classes=3)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            m.running_mean.uniform_(-0.5, 0.5)
    nn.init.normal_(model.head.fc.weight, 0, 10)  # logits of order 1
    folded, report = fold_bn(model.eval())
    assert (len(report.folded), len(report.stayed)) == (8, 0)  # one BN per conv of configuration A
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
        assert expected.abs().max() > 0.1
        torch.testing.assert_close(folded(x), expected, rtol=1e-4, atol=1e-5 * expected.abs().max().item())
