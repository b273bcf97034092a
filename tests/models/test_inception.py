"""GoogLeNet and the Inception family: the papers' tables, torchvision's / timm's counts, aux heads, options."""

import functools
import math

import pytest
import torch
import torchvision
from torch import nn

from lightnets import create_model
from lightnets.analysis import profile
from lightnets.interop import load_reference_weights
from lightnets.layers import InceptionModule
from lightnets.models import AuxOutput


def params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@functools.cache
def meta_params(name: str, **variant) -> int:
    with torch.device("meta"):
        return params(create_model(name, **variant))


def no_dropout(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return model


# ---- GoogLeNet -----------------------------------------------------------------------------

GOOGLENET_META = torchvision.models.GoogLeNet_Weights.IMAGENET1K_V1.meta
# arXiv:1409.4842 Table 1: output size, depth and "ops" (M multiply-adds) of each inception row
GOOGLENET_TABLE_1 = {"3a": (28, 256, 128), "3b": (28, 480, 304), "4a": (14, 512, 73), "4b": (14, 512, 88),
                     "4c": (14, 512, 100), "4d": (14, 528, 119), "4e": (14, 832, 170), "5a": (7, 832, 54),
                     "5b": (7, 1024, 71)}
# Two printed ops miss our exact count by more than rounding: 4a's 73.6M is printed 73 (truncated, where
# every other row rounds) and 5a's 51.1M is printed 54 (Table 1's own 1072K params for 5a give 52.5M at 7x7,
# not 54M either); for those rows we hold our exact count.
GOOGLENET_OPS_OFF = {"4a": 73_608_192, "5a": 51_079_168}


def inception_maps(model: nn.Module, size: int) -> list[tuple[nn.Module, torch.Tensor]]:
    seen = []
    hooks = [m.register_forward_hook(lambda m, a, out: seen.append((m, out)))
             for m in model.stages.modules() if isinstance(m, InceptionModule) and len(m.branches) == 4]
    with torch.no_grad():
        model.eval()(torch.randn(1, 3, size, size))
    for h in hooks:
        h.remove()
    return seen


def test_googlenet_follows_table_1_and_the_papers_5x5_gives_its_ops():
    model = create_model("googlenet", paper_5x5=True)
    rows = inception_maps(model, 224)
    assert [(out.shape[-1], out.shape[1]) for _, out in rows] == [r[:2] for r in GOOGLENET_TABLE_1.values()]
    for (module, out), (name, (_, _, ops)) in zip(rows, GOOGLENET_TABLE_1.items()):
        conv_weights = sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))
        macs = conv_weights * out.shape[-1] ** 2  # every conv of a GoogLeNet module is stride 1
        assert macs == GOOGLENET_OPS_OFF[name] if name in GOOGLENET_OPS_OFF else round(macs / 1e6) == ops, name
    assert model.stages[1][1].branches[2][1].conv.kernel_size == (5, 5)
    assert create_model("googlenet").stages[1][1].branches[2][1].conv.kernel_size == (3, 3)  # torchvision's
    assert [(f["num_chs"], f["reduction"]) for f in model.feature_info] == [
        (192, 4), (480, 8), (512, 16), (528, 16), (832, 16), (1024, 32)]


def test_googlenet_counts_equal_torchvisions_with_and_without_aux_heads():
    assert meta_params("googlenet") == GOOGLENET_META["num_params"] == 6_624_904
    with torch.device("meta"):
        reference = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    assert meta_params("googlenet", aux_logits=True) == params(reference) == 13_004_888
    macs = profile(create_model("googlenet"), 224).macs
    assert round(macs / 1e9, 3) == GOOGLENET_META["_ops"]  # torchvision's "GFLOPS" are multiply-adds


@pytest.fixture(scope="module")
def torchvision_googlenet():
    torch.manual_seed(0)
    reference = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True)
    for m in reference.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)
    return no_dropout(reference)


def test_googlenet_aux_heads_train_like_torchvisions(torchvision_googlenet):
    model = no_dropout(load_reference_weights(torchvision_googlenet.state_dict(), "torchvision", "googlenet"))
    assert model.aux_stages == (2, 3) and model.aux_weight == 0.3
    assert [type(m).__name__ for m in model.stages[2]] == ["MaxPool2d", "InceptionModule"]  # 4a ends stage 2
    x = torch.randn(2, 3, 96, 96)  # 4a and 4d give 6x6 maps: the adaptive 4x4 pool has overlapping windows
    out = model.train()(x)
    reference = torchvision_googlenet.train()(x)
    assert isinstance(out, AuxOutput) and len(out.aux_logits) == 2
    assert torch.allclose(out.logits, reference.logits, atol=1e-4)
    assert torch.allclose(out.aux_logits[0], reference.aux_logits1, atol=1e-4)
    assert torch.allclose(out.aux_logits[1], reference.aux_logits2, atol=1e-4)
    assert model.eval()(x).shape == (2, 1000)  # one tensor outside training


def test_a_googlenet_checkpoint_without_aux_heads_loads_as_the_model_without_them(torchvision_googlenet):
    state = {k: v for k, v in torchvision_googlenet.state_dict().items() if not k.startswith("aux")}
    model = load_reference_weights(state, "torchvision", "googlenet").eval()
    assert model.aux_heads is None and model.config["aux_logits"] is False
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(x), torchvision_googlenet.eval()(x), atol=1e-4)


def test_googlenet_width_scales_every_conv_and_the_aux_heads():
    model = create_model("googlenet", width=0.5, aux_logits=True)
    assert model.stem.conv.out_channels == 32 and model.feature_info[-1]["num_chs"] == 512
    assert model.aux_heads[0].convs[0].conv.out_channels == 64 and model.aux_heads[0].num_features == 512
    assert model.train()(torch.randn(2, 3, 32, 32)).aux_logits[1].shape == (2, 1000)  # ceil-mode pools: 32 works


def test_googlenet_bad_options_are_refused():
    with pytest.raises(ValueError, match="aux_logits and paper_5x5 must be True or False, got 'yes'"):
        create_model("googlenet", aux_logits="yes")
    with pytest.raises(ValueError, match="width 0.001 rounds every width-scaled layer"):
        create_model("googlenet", width=0.001)
    with pytest.raises(ValueError, match="mobilenet_v2 has no variant option aux_logits"):
        create_model("mobilenet_v2", aux_logits=True)


def test_googlenet_with_aux_heads_trains_and_its_loss_falls(tmp_path):
    from training.tiny_training import CLASSES, brightness_splits, preprocessing

    from lightnets.training import TrainConfig, train

    torch.manual_seed(0)
    model = create_model("googlenet", width=0.25, aux_logits=True, num_classes=len(CLASSES), drop_rate=0.0)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=32, lr=0.05,
                         threads=1, progress=False, device="cpu")
    result = train(model, brightness_splits(n_train=96, n_val=32), preprocessing(), config, say=lambda line: None)
    losses = [r["train_loss"] for r in result.history]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]


# ---- Inception v3 --------------------------------------------------------------------------

INCEPTION_V3_META = torchvision.models.Inception_V3_Weights.IMAGENET1K_V1.meta


def meta_maps(name: str, size: int, **variant) -> list[tuple[int, int]]:
    """(channels, side) of every stage's map at ``size``, computed on the meta device (shapes only)."""
    with torch.device("meta"):
        model = create_model(name, features_only=True, **variant).eval()
        return [(m.shape[1], m.shape[-1]) for m in model(torch.empty(1, 3, size, size))]


def test_inception_v3_follows_table_1_at_299():
    # Table 1: 147x147x64 after the padded 3x3, 71x71 after the stem's last conv (192 there, as
    # released), 35x35x288 into the Fig. 5 modules' reduction, 17x17x768, 8x8 x 2048 out
    assert meta_maps("inception_v3", 299) == [(64, 147), (192, 71), (288, 35), (768, 17), (2048, 8)]
    model = create_model("inception_v3")
    fig6 = model.stages[3][1]  # Mixed_6b: 1x1 | 1x1, 1x7, 7x1 | 1x1, 7x1, 1x7, 7x1, 1x7 | pool, 1x1
    assert [[unit.conv.kernel_size for unit in branch if hasattr(unit, "conv")] for branch in fig6.branches] == [
        [(1, 1)], [(1, 1), (1, 7), (7, 1)], [(1, 1), (7, 1), (1, 7), (7, 1), (1, 7)], [(1, 1)]]
    fig7 = model.stages[4][1]  # Mixed_7b: the 3x3 branches fork into 1x3 and 3x1 (Fig. 7)
    assert [u.conv.kernel_size for u in fig7.branches[1][1].branches.modules() if hasattr(u, "bn")] == [(1, 3), (3, 1)]
    assert model.default_cfg["input_size"] == (3, 299, 299) and model.default_cfg["mean"] == (0.5, 0.5, 0.5)


def test_inception_v3_counts_equal_torchvisions_and_timms():
    import timm

    with torch.device("meta"):
        plain = params(torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False))
        timm_plain = params(timm.create_model("inception_v3"))
    assert meta_params("inception_v3", aux_logits=True) == INCEPTION_V3_META["num_params"] == 27_161_264
    assert meta_params("inception_v3") == plain == timm_plain == 23_834_568
    macs = profile(create_model("inception_v3"), 299).macs
    assert round(macs / 1e9, 3) == INCEPTION_V3_META["_ops"]


def test_inception_v3_aux_head_on_mixed_6e_matches_torchvisions():
    torch.manual_seed(0)
    reference = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True)
    model = load_reference_weights(reference.state_dict(), "torchvision", "inception_v3")
    assert model.aux_stages == (3,) and model.aux_weight == 0.4
    model.train(), reference.train()
    for m in (*model.modules(), *reference.modules()):  # training-mode outputs, running BN statistics
        if isinstance(m, (nn.BatchNorm2d, nn.Dropout)):
            m.eval()
    x = torch.randn(1, 3, 299, 299)  # the aux head's 5x5 / 3 pool and 5x5 conv need Mixed_6e at 17x17
    with torch.no_grad():
        out, ref = model(x), reference(x)
    assert torch.allclose(out.logits, ref.logits, atol=1e-4)
    assert torch.allclose(out.aux_logits[0], ref.aux_logits, atol=1e-4)


def test_inception_v3_needs_75x75():
    with torch.device("meta"):
        model = create_model("inception_v3").eval()
        assert model(torch.empty(1, 3, 75, 75)).shape == (1, 1000)
        with pytest.raises(ValueError, match="input 74x74 is smaller than the network's smallest input 75x75"):
            model(torch.empty(1, 3, 74, 74))
    with pytest.raises(ValueError, match="resolution must be an integer >= the smallest input 75x75"), \
            torch.device("meta"):
        create_model("inception_v3", resolution=74)
    assert meta_maps("inception_v3", 75)[-1] == (2048, 1)


# ---- Inception-v4 and Inception-ResNet-v2 --------------------------------------------------

def test_inception_v4_follows_fig_9_at_299():
    # Fig. 9 / Fig. 3: 147x147x64, 73x73x160, 35x35x384, 17x17x1024, 8x8x1536
    assert meta_maps("inception_v4", 299) == [(64, 147), (160, 73), (384, 35), (1024, 17), (1536, 8)]
    with torch.device("meta"):
        model = create_model("inception_v4")
    assert [len(stage) for stage in model.stages] == [2, 1, 6, 8, 4]  # 4 x A, Reduction-A + 7 x B, ... 3 x C
    pool = model.stages[2][2].branches[3][0]  # Inception-A's average pool
    assert isinstance(pool, nn.AvgPool2d) and pool.count_include_pad is False


def test_inception_resnet_v2_scales_its_residuals_as_released():
    # the release's widths: 35x35x320, 17x17x1088, 8x8x2080, then the 1x1 conv to 1536
    assert meta_maps("inception_resnet_v2", 299) == [(64, 147), (192, 71), (320, 35), (1088, 17), (2080, 8)]
    with torch.device("meta"):
        model = create_model("inception_resnet_v2")
    scales = [[block.scale for block in stage if hasattr(block, "scale")] for stage in model.stages[2:]]
    assert scales == [[0.17] * 10, [0.1] * 20, [0.2] * 9 + [1.0]]  # Section 3.3; block8 unscaled
    last = model.stages[4][-1]
    assert isinstance(last.act, nn.Identity) and isinstance(model.stages[4][-2].act, nn.ReLU)
    assert model.final_conv.conv.out_channels == 1536 and model.num_features == 1536
    assert last.project.conv.bias is not None and not hasattr(last.project, "bn")  # "1x1 Conv (Linear)"


@pytest.mark.parametrize("name, count", [("inception_v4", 42_679_816), ("inception_resnet_v2", 55_843_464)])
def test_inception_v4_family_counts_equal_timms(name, count):
    import timm

    with torch.device("meta"):
        reference = params(timm.create_model(name))
    assert meta_params(name) == reference == count


@pytest.mark.parametrize("name", ["inception_v3", "inception_v4", "inception_resnet_v2"])
def test_the_unpadded_stems_need_exactly_75x75(name):
    with torch.device("meta"):
        model = create_model(name).eval()
        assert model.min_input == 75 and model(torch.empty(1, 3, 75, 75)).shape == (1, 1000)
        with pytest.raises(RuntimeError):  # below 75 a valid conv or pool has no output left
            model.stages(model.stem(torch.empty(1, 3, 74, 74)))



# ---- small_input (32x32) -------------------------------------------------------------------

# name: (the stage holding the second downsampling, the max pools small_input leaves out of it).
# The first is the stem conv everywhere; the second a max pool row (left out), except in
# Inception-v4, whose second is Fig. 3's first concat, a module (its conv and pool at stride 1).
SMALL_INPUT = {"googlenet": (0, 1), "bn_inception": (0, 1), "inception_v3": (1, 1), "inception_v4": (1, 0),
               "inception_resnet_v2": (1, 1)}


def strides(module: nn.Module) -> list[int]:
    layers = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
    return [m.stride if isinstance(m.stride, int) else m.stride[0] for m in module.modules() if isinstance(m, layers)]


@pytest.mark.parametrize("name", SMALL_INPUT)
def test_small_input_keeps_the_first_two_downsamplings_at_stride_1(name):
    torch.manual_seed(0)
    model = create_model(name, small_input=True, num_classes=10, width=0.25).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert model.total_stride == 8 and model.feature_info[-1]["reduction"] == 8
    with torch.device("meta"):
        default = create_model(name, width=0.25)
    # the same stages, each with a quarter of the reduction (a stage that ends after the stem alone: 1);
    # the third downsampling on is unchanged
    assert [f["reduction"] for f in model.feature_info] == [max(1, f["reduction"] // 4) for f in default.feature_info]
    cfg = model.default_cfg
    assert cfg["input_size"] == (3, 32, 32) and cfg["crop_pct"] == 1.0 and model.config["small_input"] is True
    assert (cfg["mean"], cfg["std"]) == (default.default_cfg["mean"], default.default_cfg["std"])  # the family's
    assert model.stem.conv.stride == (1, 1) and default.stem.conv.stride == (2, 2)
    stage, left_out = SMALL_INPUT[name]
    assert max(strides(model.stages[stage])) == 1 and max(strides(default.stages[stage])) == 2
    assert len(model.stages[stage]) == len(default.stages[stage]) - left_out
    assert all(max(strides(s)) == 1 for s in model.stages[:stage])
    with pytest.raises(ValueError, match="small_input must be True or False, got 'yes'"), torch.device("meta"):
        create_model(name, small_input="yes")


@pytest.mark.parametrize("name, smallest", [("googlenet", 8), ("bn_inception", 8), ("inception_v3", 21),
                                            ("inception_v4", 23), ("inception_resnet_v2", 21)])
def test_small_input_forms_need_their_min_input(name, smallest):
    with torch.device("meta"):
        model = create_model(name, small_input=True).eval()
        assert model.min_input == smallest and model(torch.empty(1, 3, smallest, smallest)).shape == (1, 1000)
        with pytest.raises(ValueError, match=f"input {smallest - 1}x{smallest - 1} is smaller than the network's "
                                             f".*use at least {smallest}x{smallest}"):
            model(torch.empty(1, 3, smallest - 1, smallest - 1))
        if model.min_input > model.total_stride:  # the unpadded stems: exactly what their valid layers need
            with pytest.raises(RuntimeError):
                model.stages(model.stem(torch.empty(1, 3, smallest - 1, smallest - 1)))
    if smallest > 8:
        assert meta_maps(name, smallest, small_input=True)[-1][1] == 1


def test_small_input_with_aux_heads():
    model = create_model("googlenet", small_input=True, aux_logits=True, num_classes=10, width=0.25).train()
    out = model(torch.randn(2, 3, 32, 32))  # 4a and 4d give 8x8 maps; the aux heads pool them to 4x4
    assert out.logits.shape == (2, 10) and [a.shape for a in out.aux_logits] == [(2, 10)] * 2
    # Inception v3's aux head needs Mixed_6e at 17x17: the small-input form has it from 77x77 only
    assert [meta_maps("inception_v3", s, small_input=True)[3][1] for s in (32, 76, 77)] == [5, 16, 17]
    with pytest.raises(ValueError, match="aux_logits=True cannot go with small_input=True: the aux head needs "
                                         "Mixed_6e at 17x17, .* only from 77x77 inputs"):
        create_model("inception_v3", small_input=True, aux_logits=True)

# ---- BN-Inception --------------------------------------------------------------------------

# arXiv:1502.03167 Figure 5: output size and depth of each inception row. The depth column prints
# 576, 576 and 1024 for 4c, 4d and 4e, where the figure's own branch columns sum to 608, 608 and 1056
# (the released Caffe model has those); these are the sums.
BN_INCEPTION_FIGURE_5 = {"3a": (28, 256), "3b": (28, 320), "3c": (14, 576), "4a": (14, 576), "4b": (14, 576),
                         "4c": (14, 608), "4d": (14, 608), "4e": (7, 1056), "5a": (7, 1024), "5b": (7, 1024)}


def test_bn_inception_follows_figure_5():
    model = create_model("bn_inception")
    seen = []
    hooks = [m.register_forward_hook(lambda m, a, out: seen.append(tuple(out.shape[1:])))
             for stage in model.stages for m in stage if isinstance(m, InceptionModule)]
    with torch.no_grad():
        model.eval()(torch.randn(1, 3, 224, 224))
    for h in hooks:
        h.remove()
    assert [(s[-1], s[0]) for s in seen] == list(BN_INCEPTION_FIGURE_5.values())
    assert [len(model.stages[2][0].branches), len(model.stages[2][1].branches)] == [3, 4]  # 3c has no 1x1 branch
    pass_through = model.stages[2][0].branches[2]
    assert len(pass_through) == 1 and isinstance(pass_through[0], nn.MaxPool2d)
    assert [type(model.stages[3][i].branches[3][0]) for i in (1, 2)] == [nn.AvgPool2d, nn.MaxPool2d]  # 5a avg, 5b max
    double = model.stages[1][1].branches[2]  # 3a's double 3x3 in place of GoogLeNet's 5x5
    assert [u.conv.kernel_size for u in double] == [(1, 1), (3, 3), (3, 3)]
    # SENet (arXiv:1709.01507; published.json, SE-BN-Inception row) re-implements BN-Inception at 2.03 GFLOPs (MACs)
    assert round(profile(model, 224).macs / 1e9, 2) == 2.03


# ---- the shared blocks ---------------------------------------------------------------------

def test_inception_module_concatenates_its_branch_table():
    from lightnets.layers import Branch, Conv, InceptionResidual, Pool

    branches = (Branch((Conv(8),)), Branch((Conv(4), Conv(6, (1, 3)))), Branch((Pool("max", 3, 2),)),
                Branch((Conv(4),), (Branch((Conv(2, (1, 3)),)), Branch((Conv(2, (3, 1)),)))))
    with pytest.raises(RuntimeError):  # the stride-2 pool branch cannot concatenate with stride-1 ones
        InceptionModule(16, branches)(torch.randn(1, 16, 9, 9))
    module = InceptionModule(16, branches[:2] + branches[3:]).eval()
    assert module.out_chs == 8 + 6 + 4 and module(torch.randn(1, 16, 9, 9)).shape == (1, 18, 9, 9)
    assert InceptionModule(16, branches[2:3]).out_chs == 16  # a pool branch passes its input's channels
    with pytest.raises(ValueError, match="pool kind must be one of max, avg, got 'mean'"):
        Pool("mean")
    with pytest.raises(ValueError, match="residual scale must be a number in \\(0, 1\\], got 0"):
        InceptionResidual(16, branches[:1], scale=0)
    residual = InceptionResidual(16, branches[:2], scale=0.1).eval()
    x = torch.randn(1, 16, 5, 5)
    with torch.no_grad():
        assert torch.allclose(residual(x), torch.relu(x + 0.1 * residual.project(residual.branches(x))))


def test_aux_heads_name_the_map_they_need_when_training_on_small_inputs():
    model = create_model("inception_v3", aux_logits=True).train()
    assert model.aux_heads[0].min_map == 17  # 5x5 / 3 pool, then an unpadded 5x5 conv: Mixed_6e at 299x299
    with pytest.raises(ValueError, match=r"needs its stage's map to be at least 17x17, got 3x3; train with larger"):
        model(torch.randn(2, 3, 75, 75))
    assert model.eval()(torch.randn(1, 3, 75, 75)).shape == (1, 1000)  # inference runs no aux head
    assert create_model("googlenet", aux_logits=True).aux_heads[0].min_map == 1  # adaptive pool, 1x1 conv
