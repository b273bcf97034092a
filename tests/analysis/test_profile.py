"""The counter against the worked examples in ../shared/reference/README.md (exact)."""

import math

import pytest
import torch
from torch import nn

from zoo_models import FIXED_INPUT, REPRESENTATIVES, TRIMMED_BELOW_STRIDE, build

from lightnets import conv_cost, create_model, profile


def test_seeds_worked_example_5x5x3_to_4_channels():
    c = conv_cost(5, 5, 3, 4, 3)
    assert (c.standard_params, c.standard_macs) == (108, 2700)
    assert (c.depthwise_params, c.depthwise_macs) == (27, 675)
    assert (c.pointwise_params, c.pointwise_macs) == (12, 300)
    assert (c.separable_params, c.separable_macs) == (39, 975)


def test_first_separable_layer_of_mobilenet_v1():
    c = conv_cost(112, 112, 32, 64, 3)
    assert (c.depthwise_macs, c.depthwise_params) == (3_612_672, 288)
    assert (c.pointwise_macs, c.pointwise_params) == (25_690_112, 2_048)
    assert c.standard_macs == 231_211_008
    assert c.ratio == pytest.approx(1 / 64 + 1 / 9)


def test_mobilenet_v1_table_3_single_layer():
    c = conv_cost(14, 14, 512, 512, 3)
    assert (c.standard_macs, c.standard_params) == (462_422_016, 2_359_296)
    assert (c.separable_macs, c.separable_params) == (52_283_392, 266_752)
    assert (c.depthwise_macs, c.pointwise_macs) == (903_168, 51_380_224)
    narrow = conv_cost(14, 14, 384, 384, 3)  # alpha = 0.75
    assert (narrow.separable_macs, narrow.separable_params) == (29_578_752, 150_912)
    small = conv_cost(10, 10, 384, 384, 3)  # alpha = 0.75, rho = 0.714
    assert (small.separable_macs, small.separable_params) == (15_091_200, 150_912)


def test_resnet_bottleneck_example():
    bottleneck = nn.Sequential(
        nn.Conv2d(256, 64, 1, bias=False), nn.Conv2d(64, 64, 3, padding=1, bias=False),
        nn.Conv2d(64, 256, 1, bias=False),
    )
    p = profile(bottleneck, (256, 56, 56))
    assert (p.params, p.macs) == (69_632, 218_365_952)
    assert profile(nn.Conv2d(256, 256, 3, padding=1, bias=False), (256, 56, 56)).params == 589_824


def test_mobilenet_v1_table_2_shares_by_layer_type():
    """Paper Table 2; param shares use conv + FC weights without the FC bias. The paper's
    'Conv 3x3 1.19%' is a digit swap of 1.91% (reference README)."""
    kinds = profile(create_model("mobilenet_v1"), 224, convention="conv_fc_weights").by_kind()
    pct = {k: (round(100 * d["macs_share"], 2), round(100 * d["params_share"], 2)) for k, d in kinds.items()
           if d["macs"]}
    assert pct == {"conv_1x1": (94.86, 74.59), "conv_dw": (3.06, 1.06), "conv_kxk": (1.91, 0.02), "fc": (0.18, 24.33)}


def test_macs_exclude_elementwise_ops_which_are_reported_apart():
    p = profile(create_model("mobilenet_v3_large"), 224)
    kinds = p.by_kind()
    for k in ("bn", "act", "pool", "add", "mul"):
        assert kinds[k]["macs"] == 0 and kinds[k]["elementwise"] > 0 and kinds[k]["traffic"] > 0
    assert p.flops == 2 * p.macs
    assert kinds["se"]["macs"] > 0, "SE layers are counted in MACs"
    assert p.macs == sum(d["macs"] for d in kinds.values())


@pytest.mark.parametrize("name", sorted(set(REPRESENTATIVES) - FIXED_INPUT))
def test_counter_agrees_with_torch_param_count_and_resolution_scaling(name):
    model = build(name)
    p = profile(model, 224)
    assert p.params == sum(t.numel() for t in model.parameters())
    # Each layer's MACs scale with its output map's area, and layers on pooled maps (SE, FC
    # heads) stay as they are: at 448 exactly 4x where every conv and pool keeps its map's size;
    # where unpadded ones lose a border (a network whose smallest input is above its total
    # stride: LeNet-5, AlexNet, Inception v3/v4) by the ratio of the two maps' areas, at least 4.
    same_size = model.min_input == model.total_stride and name not in TRIMMED_BELOW_STRIDE
    for small, large in zip(p.rows, profile(model, 448).rows, strict=True):
        if small.macs:
            ratio = large.macs / small.macs
            area = 1.0 if len(small.out_shape) < 3 else (
                large.out_shape[-1] * large.out_shape[-2] / (small.out_shape[-1] * small.out_shape[-2]))
            if small.kind == "matmul":  # a product of two activations (GCNet's attention pooling) sums over the map
                area = math.prod(large.in_shape) / math.prod(small.in_shape)
            assert ratio == area, (small.name, ratio, area)
            assert area == 1 or (area == 4 if same_size else area >= 4), (small.name, area)


def test_counter_matches_torchvision_reference_models():
    torchvision = pytest.importorskip("torchvision")
    for ours, theirs, published_gmacs in [
        ("mobilenet_v2", torchvision.models.mobilenet_v2(), 0.301),
        ("mobilenet_v3_large", torchvision.models.mobilenet_v3_large(), 0.217),
        ("mobilenet_v3_small", torchvision.models.mobilenet_v3_small(), 0.057),
    ]:
        a, b = profile(create_model(ours), 224), profile(theirs, 224)
        assert (a.params, a.macs) == (b.params, b.macs)
        assert round(a.macs / 1e9, 3) == published_gmacs  # torchvision's "GFLOPS" are GMACs


def test_profile_does_not_modify_the_model():
    model = create_model("mobilenet_v2").train()
    model.stages[0].eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    profile(model, 224)
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert model.training and not model.stages[0].training and model.stages[1].training
    assert all(not m._forward_hooks for m in model.modules())


def test_profile_rows():
    p = profile(create_model("mobilenet_v1"), 224)
    first = p.rows[0]
    assert (first.name, first.kind, first.in_shape, first.out_shape) == ("stem.conv", "conv_kxk", (3, 224, 224), (32, 112, 112))
    assert first.macs == 112 * 112 * 32 * 3 * 9 and first.params == 864
    assert p.largest_activation == 64 * 112 * 112  # first pointwise output


def test_bad_profile_input():
    model = create_model("mobilenet_v2")
    with pytest.raises(ValueError, match="smaller than the network's total stride 32"):
        profile(model, 16)
    with pytest.raises(ValueError, match="input_size must be"):
        profile(model, (0, 224))
    with pytest.raises(ValueError, match="unknown parameter convention 'tf'"):
        profile(model, 224, convention="tf")
    with pytest.raises(ValueError, match="kernel must be a positive integer"):
        conv_cost(5, 5, 3, 4, 0)


def test_profile_takes_a_registered_name_or_says_to_pass_a_model():
    assert profile("mobilenet_v2", 224).macs == profile(create_model("mobilenet_v2"), 224).macs == 300_774_272
    with pytest.raises(ValueError, match="unknown model 'mobilenet_v9'"):
        profile("mobilenet_v9")
    with pytest.raises(ValueError, match=r"profile takes a model \(a torch.nn.Module.*got a dict"):
        profile({"name": "mobilenet_v2"})


def test_profile_refuses_inputs_larger_than_2048_a_side_before_allocating():
    model = create_model("mobilenet_v3_small")
    with pytest.raises(ValueError, match="input_size 100000 is larger than 2048 pixels a side"):
        profile(model, 100000)
    with pytest.raises(ValueError, match=r"input_size \(3, 64, 4096\) is larger than 2048"):
        profile(model, (3, 64, 4096))
    assert profile(nn.Conv2d(1, 1, 1), (1, 2048, 1)).macs == 2048
