"""SKNet, GENet and GCNet on the ResNet body: their blocks against timm's with the same weights, their counts, the
counter's attention rows, bad input and a short training run. (The SK-ResNets' network parity against timm runs in
tests/interop/test_interop_parity.py; SKNet's published rows in tests/reference.)"""

import types

import pytest
import timm
import timm.layers.gather_excite as timm_ge
import torch
from timm.layers import GatherExcite as TimmGatherExcite, GlobalContext as TimmGlobalContext
from torch import nn
from training.tiny_training import brightness_splits, preprocessing

from lightnets import create_model, profile
from lightnets.layers import GatherExcite, GlobalContext, SelectiveKernel
from lightnets.training import TrainConfig, train


def meta_model(name: str, **variant) -> nn.Module:
    with torch.device("meta"):
        return create_model(name, **variant)


def randomised(module: nn.Module) -> nn.Module:
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for t in module.state_dict().values():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) + 0.5 if t.dim() <= 1 else torch.randn(t.shape, generator=g))
    return module.eval()


def load_by_order(ours: nn.Module, theirs: nn.Module) -> None:
    """Our tensors from timm's, pairing the state dicts in order (the same layers, other names; a 1x1 conv weight
    fills a Linear weight)."""
    mine = ours.state_dict()
    assert len(mine) == len(theirs.state_dict())
    ours.load_state_dict({k: v.reshape(mine[k].shape) for k, v in zip(mine, theirs.state_dict().values())})


@pytest.mark.parametrize("name, timm_name", [("skresnet18", "skresnet18"), ("skresnet34", "skresnet34"),
                                             ("skresnext50_32x4d", "skresnext50_32x4d")])
def test_sk_resnet_parameters_are_timms(name, timm_name):
    with torch.device("meta"):
        reference = timm.create_model(timm_name)
    assert sum(p.numel() for p in meta_model(name).parameters()) == sum(p.numel() for p in reference.parameters())


@pytest.mark.parametrize("name, params, macs", [
    ("skresnext50_32x4d", 27_479_784, 4_462_710_784),  # SKNet README: 27.5M, 4.47 G (checks.json says why)
    ("sknet101", 48_736_040, 8_448_724_992),  # 48.9M, 8.46 G
    ("gc_resnet50", 28_078_773, 4_097_896_448),  # GCNet prints none for ImageNet: ours, ratio 1/16, c3-c5
    ("ge_resnet50", 25_557_032, 4_089_184_256),  # GE-θ⁻ adds no parameters to ResNet-50 (25,557,032)
])
def test_counts(name, params, macs):
    report = profile(meta_model(name), 224)
    assert (report.params, report.macs) == (params, macs)


def test_gc_ratio_one_quarter_widens_the_transform():
    model = meta_model("gc_resnet50", gc_ratio=0.25)
    assert [stage[0].attn is None for stage in model.stages] == [True, False, False, False]  # c3-c5 only
    assert model.stages[3][0].attn.fc1.out_features == 2048 // 4


def test_sk_units_follow_the_paper():
    block = meta_model("skresnext50_32x4d").stages[0][0].conv2
    assert [b.conv.dilation for b in block.branches] == [(1, 1), (2, 2)] and block.branches[0].conv.groups == 32
    assert block.squeeze.conv.out_channels == 32  # d = max(128 / 16, 32)
    assert meta_model("sknet101").stages[2][22].conv2.select.out_channels == 2 * 512


@pytest.mark.parametrize("fusion", ["add", "scale"])
def test_global_context_is_timms(fusion):
    theirs = randomised(TimmGlobalContext(64, fuse_add=fusion == "add", fuse_scale=fusion == "scale", rd_ratio=1 / 16))
    ours = GlobalContext(64, 1 / 16, fusion).eval()
    load_by_order(ours, theirs)
    x = torch.randn(2, 64, 9, 7)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


class _TimmBugFixed:
    """timm's GatherExcite passes its device / dtype dict positionally (``*dd``) to its gather's convs and BNs, which
    breaks GE-θ and GE-θ⁺ in this timm; these stand-ins drop those extra arguments."""

    @staticmethod
    def conv(in_chs, out_chs, *_, **kwargs):
        return timm_ge.__dict__["_original_create_conv2d"](in_chs, out_chs, **kwargs)

    @staticmethod
    def mlp(in_chs, hidden, *_, **kwargs):
        return timm_ge.__dict__["_original_conv_mlp"](in_chs, hidden, **kwargs)


@pytest.fixture
def timm_gather_excite(monkeypatch):
    monkeypatch.setitem(timm_ge.__dict__, "_original_create_conv2d", timm_ge.create_conv2d)
    monkeypatch.setattr(timm_ge, "create_conv2d", _TimmBugFixed.conv)
    monkeypatch.setitem(timm_ge.__dict__, "_original_conv_mlp", timm_ge.ConvMlp)
    monkeypatch.setattr(timm_ge, "ConvMlp", _TimmBugFixed.mlp)
    monkeypatch.setattr(timm_ge, "nn", types.SimpleNamespace(
        Sequential=nn.Sequential, Identity=nn.Identity, Module=nn.Module, ReLU=nn.ReLU,
        BatchNorm2d=lambda chs, *_: nn.BatchNorm2d(chs)))
    return TimmGatherExcite


# timm's global GE-θ pads its map-sized depthwise conv to keep the map (an H x W output, not the paper's one value
# per channel): the global θ / θ⁺ gathers are the paper's here and have no timm counterpart.
@pytest.mark.parametrize("gather, extent", [("theta_minus", 2), ("theta_minus", 4), ("theta_minus", "global"),
                                            ("theta", 4), ("theta", 8), ("theta_plus", 2)])
def test_gather_excite_is_timms_on_a_map_the_extent_does_not_divide(gather, extent, timm_gather_excite):
    size = 7
    theirs = randomised(timm_gather_excite(64, feat_size=(size, size), extra_params=gather != "theta_minus",
                                           extent=0 if extent == "global" else extent,
                                           use_mlp=gather == "theta_plus", rd_ratio=1 / 16))
    ours = GatherExcite(64, gather, extent, size=size).eval()
    load_by_order(ours, theirs)
    x = torch.randn(2, 64, size, size)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_selective_kernel_matches_timm():
    theirs = randomised(timm.layers.SelectiveKernel(64, 64, stride=2, groups=8, rd_ratio=1 / 16, rd_divisor=32,
                                                    split_input=False))
    ours = SelectiveKernel(64, 64, 2, 8).eval()
    load_by_order(ours, theirs)
    x = torch.randn(2, 64, 9, 9)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_the_counter_shows_the_gc_matmul_and_softmax():
    report = profile(create_model("gc_resnet50").eval(), 64)
    rows = [r for r in report.rows if r.module == "stages.1.0.attn"]
    matmul = [r for r in rows if r.kind == "matmul"]
    softmax = [r for r in rows if "softmax" in r.name]
    # conv3_x at 64: 512 channels on an 8x8 map; the context is (512 x 64) @ (64 x 1)
    assert len(matmul) == 1 and matmul[0].macs == 512 * 8 * 8 and matmul[0].traffic == 4 * (512 * 64 + 64 + 512)
    assert len(softmax) == 1 and softmax[0].macs == 0 and softmax[0].traffic == 4 * 2 * 64
    assert sum(r.kind == "matmul" for r in report.rows) == 13  # 4 + 6 + 3 blocks in c3-c5


def test_the_counter_shows_the_sk_softmax_and_select():
    report = profile(meta_model("skresnext50_32x4d"), 64)
    rows = [r for r in report.rows if r.module.startswith("stages.0.0.conv2")]
    softmax = [r for r in rows if "softmax" in r.name]
    select = [r for r in rows if r.module == "stages.0.0.conv2.select"]
    assert len(softmax) == 1 and softmax[0].traffic == 4 * 2 * (2 * 128)  # M x C logits read and written
    assert len(select) == 1 and select[0].macs == 32 * 2 * 128


@pytest.mark.parametrize("call, message", [
    (lambda: SelectiveKernel(64, 64, kernels=(3,)), r"M >= 2 branches .* got \(3,\)"),
    (lambda: SelectiveKernel(64, 64, kernels=(3, 4)), r"odd sizes >= 3 .* got \(3, 4\)"),
    (lambda: GlobalContext(4, 1 / 16), r"leaves 4 x 0.0625 < 1 channel"),
    (lambda: GatherExcite(4, "theta_plus", 2, ratio=1 / 16), r"leaves 4 x 0.0625 < 1 channel"),
    (lambda: GatherExcite(64, "theta", 3), r"extent must be one of 2, 4, 8, global, got 3"),
    (lambda: GatherExcite(64, "theta", "global"), r"give the map's side as size"),
    (lambda: GatherExcite(64, "theta", "global", size=7)(torch.randn(1, 64, 8, 8)), r"built for 7x7 maps, got 8x8"),
    (lambda: create_model("ge_resnet50", gather="theta")(torch.randn(1, 3, 256, 256)), r"built for 56x56 maps"),
    (lambda: create_model("ge_resnet50", extent=16), r"extent must be one of"),
    (lambda: create_model("gc_resnet50", gc_ratio=0), r"ratio must be a number in \(0, 1\]"),
    (lambda: create_model("gc_resnet50", width=0.25, gc_ratio=1 / 512), r"leaves 128 x 0.00195312 < 1 channel"),
])
def test_bad_input_names_what_is_valid(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_small_sknet_learns_the_tiny_problem(tmp_path):
    torch.manual_seed(0)
    model = create_model("skresnext50_32x4d", width=0.25, num_classes=2)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=16, lr=0.05, threads=1,
                         progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config, say=lambda _: None)
    first, last = result.history
    assert last["train_loss"] < first["train_loss"]
