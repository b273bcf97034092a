"""AlexNet: torchvision's single tower (parameter count and GFLOPS of its weights' metadata,
its smallest input) and the paper's two towers (Krizhevsky et al. 2012, Sections 3.2-3.5
and Fig. 2): grouped layers, per-tower response normalisation, the figure's map sizes."""

import pytest
import torch
import torchvision
from torch import nn

from lightnets import create_model, profile
from lightnets.layers import LocalResponseNorm

META = torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta


def convs(model):
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


@pytest.fixture(scope="module")
def towers():
    torch.manual_seed(0)
    return create_model("alexnet_towers").eval()


def test_single_tower_has_torchvisions_parameters_and_macs():
    with torch.device("meta"):
        ours, theirs = create_model("alexnet"), torchvision.models.alexnet()
    params = sum(p.numel() for p in ours.parameters())
    assert params == sum(p.numel() for p in theirs.parameters()) == META["num_params"] == 61_100_840
    assert round(profile(ours, 224).macs / 1e9, 3) == META["_ops"]  # torchvision's "GFLOPS" are GMACs
    assert ours.min_input == META["min_size"][0] == 63


def test_two_towers_have_the_papers_layers(towers):
    shapes = [tuple(c.weight.shape) for c in convs(towers)]
    # Sec. 3.5: 96 kernels of 11x11x3; 256 of 5x5x48; 384 of 3x3x256; 384 of 3x3x192; 256 of 3x3x192
    assert shapes == [(96, 3, 11, 11), (256, 48, 5, 5), (384, 256, 3, 3), (384, 192, 3, 3), (256, 192, 3, 3)]
    assert [c.groups for c in convs(towers)] == [1, 2, 1, 2, 2]
    fc = [m.weight.shape for m in towers.head.modules() if isinstance(m, nn.Linear)]
    assert fc == [(4096, 9216), (4096, 4096), (1000, 4096)]
    assert sum(p.numel() for p in towers.parameters()) == 60_965_224  # "60 million parameters"
    assert [m.p for m in towers.head.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    pools = [m for m in towers.modules() if isinstance(m, nn.MaxPool2d)]
    assert [(p.kernel_size, p.stride) for p in pools] == [(3, 2)] * 3  # overlapping pooling, Sec. 3.4


def test_two_towers_give_fig_2s_maps_at_227(towers):
    maps = []
    hooks = [c.register_forward_hook(lambda m, i, o: maps.append(tuple(o.shape[1:]))) for c in convs(towers)]
    with torch.no_grad():
        features = towers.forward_features(torch.randn(1, 3, 227, 227))
    for hook in hooks:
        hook.remove()
    assert maps == [(96, 55, 55), (256, 27, 27), (384, 13, 13), (384, 13, 13), (256, 13, 13)]
    assert features.shape == (1, 256, 6, 6)
    assert profile(towers, 227).macs == 724_406_816
    assert towers.default_cfg["input_size"] == (3, 227, 227)


def test_a_tower_sees_only_its_own_half(towers):
    """Sec. 3.5: layers 2, 4 and 5 connect only to the maps on the same GPU."""
    conv4 = towers.stages[2][1]
    x = torch.randn(1, 384, 13, 13)
    changed = x.clone()
    changed[:, 192:] = torch.randn(1, 192, 13, 13)  # the second tower's input
    with torch.no_grad():
        a, b = conv4(x), conv4(changed)
    assert torch.equal(a[:, :192], b[:, :192]) and not torch.equal(a[:, 192:], b[:, 192:])


def test_response_normalisation_is_the_papers_formula_within_each_tower():
    """Sec. 3.3: b_i = a_i / (k + alpha * sum over the n maps around i of a_j^2)^beta, with
    k = 2, n = 5, alpha = 1e-4, beta = 0.75; sums stop at the edge of a tower."""
    a = torch.randn(2, 8, 3, 3) * 30
    expected = torch.empty_like(a)
    for tower in (range(0, 4), range(4, 8)):
        for i in tower:
            near = [j for j in tower if abs(j - i) <= 2]
            expected[:, i] = a[:, i] / (2 + 1e-4 * (a[:, near] ** 2).sum(1)) ** 0.75
    assert torch.allclose(LocalResponseNorm(towers=2)(a), expected, rtol=1e-5)
    assert not torch.allclose(LocalResponseNorm(towers=1)(a), expected, rtol=1e-5)


def test_the_smallest_inputs_are_those_the_pools_need(towers):
    single = create_model("alexnet").eval()
    for model, smallest in ((single, 63), (towers, 67)):
        assert model.min_input == smallest
        with torch.no_grad():
            assert model(torch.randn(1, 3, smallest, smallest)).shape == (1, 1000)
            with pytest.raises(RuntimeError, match="Output size is too small"):  # torch itself, without our check
                model.stages(torch.randn(1, 3, smallest - 1, smallest - 1))
        with pytest.raises(ValueError, match=f"smaller than the network's smallest input {smallest}x{smallest}"):
            model(torch.randn(1, 3, smallest - 1, smallest - 1))


def test_width_thins_every_conv_and_hidden_fc():
    with torch.device("meta"):
        model = create_model("alexnet_towers", width=0.5)
    assert [c.out_channels for c in convs(model)] == [48, 128, 192, 192, 128]
    assert [m.out_features for m in model.head.modules() if isinstance(m, nn.Linear)] == [2048, 2048, 1000]
