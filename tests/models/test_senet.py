"""Squeeze-and-excitation as an option of the ResNet, Inception, MobileNetV1 and ShuffleNet V1 bodies: the reduction
rule, where each body puts the layer, the SENet layout, bad input and a short training run. (The SE-ResNets' and
SE-ResNeXts' parity against timm runs in tests/interop/test_interop_parity.py; SENet's published rows in
tests/reference.)"""

import pytest
import torch
from torch import nn
from training.tiny_training import brightness_splits, preprocessing

from lightnets import create_model, profile
from lightnets.layers import InceptionModule, InceptionResidual, SqueezeExcite, mobilenet_v3_width, senet_width
from lightnets.models.resnet import resnet
from lightnets.training import TrainConfig, train


def meta_model(name: str, **variant) -> nn.Module:
    with torch.device("meta"):
        return create_model(name, **variant)


def test_each_family_reduces_by_its_own_rule():
    assert [senet_width(c) for c in (64, 256, 2048, 216)] == [4, 16, 128, 13]  # SENet: C // 16
    assert senet_width(256, 8) == 32
    assert [mobilenet_v3_width(c) for c in (72, 960, 16)] == [24, 240, 8]  # a quarter, a multiple of 8


def test_se_resnet_50_adds_the_papers_two_and_a_half_million_parameters():
    added = sum(p.numel() for p in meta_model("legacy_seresnet50").parameters()) - sum(
        p.numel() for p in meta_model("resnet50").parameters())
    assert added == 2_530_992  # SENet, Section 7.1: "~2.5 million additional parameters"


def test_the_senet_layout_is_the_released_caffe_models():
    legacy, timm_layout = meta_model("legacy_seresnet50"), meta_model("seresnet50")
    pool = legacy.stem.pool
    assert (pool.padding, pool.ceil_mode) == (0, True) and timm_layout.stem.pool.padding == 1
    first = legacy.stages[1][0]  # conv3_x's first bottleneck: the stride on its first 1x1 conv
    assert first.conv1.conv.stride == (2, 2) and first.conv2.conv.stride == (1, 1)
    assert timm_layout.stages[1][0].conv2.conv.stride == (2, 2)
    assert meta_model("legacy_seresnext50_32x4d").stages[1][0].conv2.conv.stride == (2, 2)
    block = meta_model("legacy_seresnet18").stages[0][0]  # a ReLU before the SE, as in the port
    assert isinstance(block.conv2.act, nn.ReLU) and isinstance(block.attn, SqueezeExcite)
    assert isinstance(block.attn.gate, nn.Sigmoid) and block.attn.fc1.out_channels == 64 // 16


def test_each_body_puts_se_where_senet_does():
    shufflenet = meta_model("shufflenet_v1_g3", se=True)  # on the main branch, before the concatenation
    assert [shufflenet.stages[i][0].attn.fc2.out_channels for i in range(3)] == [240 - 24, 480 - 240, 960 - 480]
    assert shufflenet.stages[0][1].attn.fc2.out_channels == 240
    mobilenet = meta_model("mobilenet_v1", se=True)
    assert all(block.attn.fc2.out_channels == block.pw.conv.out_channels for stage in mobilenet.stages
               for block in stage)
    modules = [m for m in meta_model("se_bn_inception").modules() if isinstance(m, InceptionModule)
               and m.attn is not None]
    assert len(modules) == 10  # 3a to 5b
    irv2 = meta_model("se_inception_resnet_v2")
    residual = [m for m in irv2.modules() if isinstance(m, InceptionResidual)]
    assert len(residual) == 40 and all(m.attn.fc2.out_channels == m.out_chs for m in residual)


def test_the_counter_shows_the_se_layers():
    report = profile(meta_model("legacy_seresnet18"), 64)
    se = [r for r in report.rows if r.module.startswith("stages.0.0.attn")]
    assert [r.kind for r in se if r.macs] == ["se", "se"] and sum(r.macs for r in se) == 2 * 64 * 4


@pytest.mark.parametrize("call, message", [
    (lambda: create_model("legacy_seresnet18", se_reduction=128),
     r"se_reduction=128 leaves an SE layer on 64 channels with 64 // 128 = 0 channels; take se_reduction <= 64"),
    (lambda: create_model("seresnet50", se_reduction=0), r"se_reduction must be an integer >= 1"),
    (lambda: create_model("mobilenet_v1", se_reduction=8), r"se_reduction=8 applies to .* se=True only"),
    (lambda: create_model("mobilenet_v1", se=True, separable=False), r"separable=False has none"),
    (lambda: create_model("shufflenet_v1", se="yes"), r"se must be True or False, got 'yes'"),
    (lambda: create_model("mobilenet_v2", se=True), r"mobilenet_v2 has no variant option se"),
    (lambda: create_model("bn_inception", se=True), r"bn_inception has no variant option se"),
    (lambda: create_model("resnet50", senet_layout=True), r"resnet50 has no variant option senet_layout"),
    (lambda: resnet(attention="selective_kernel", se_reduction=8),
     r"se_reduction=8 apply to attention='squeeze_excite' only"),
])
def test_bad_input_names_what_is_valid(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_small_se_resnet_learns_the_tiny_problem(tmp_path):
    torch.manual_seed(0)
    model = create_model("legacy_seresnet18", width=0.25, num_classes=2)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=16, lr=0.05, threads=1,
                         progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config, say=lambda _: None)
    first, last = result.history
    assert last["train_loss"] < first["train_loss"]
