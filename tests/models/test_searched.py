"""The searched family: TF SAME padding, MixConv, EfficientNet's compound scaling and Lite, stochastic depth, the
SE ratio of the block input, TF-port warnings, preprocessing per source, and the ExecuTorch export of MixConv."""

import json
import math
import warnings

import pytest
import timm
import torch
import torchvision
from timm.layers import Conv2dSame as TimmConv2dSame
from torch import nn

from lightnets import create_model
from lightnets.checkpoint import load_checkpoint
from lightnets.cli import main
from lightnets.interop import load_reference_weights
from lightnets.layers.mixconv import MixConv, split_channels
from lightnets.layers.same_padding import Conv2dSame, padded_conv, same_pads
from lightnets.models.efficientnet import COEFFICIENTS, compound_scaling, efficientnet
from lightnets.models.mbconv_net import MBConvRow, scale_depth

# TF's SAME rule worked by hand: (size, kernel, stride) -> (before, after)
TF_PADS = {(224, 3, 2): (0, 1), (225, 3, 2): (1, 1), (224, 5, 2): (1, 2), (225, 5, 2): (2, 2), (224, 7, 2): (2, 3),
           (225, 7, 2): (3, 3), (224, 3, 1): (1, 1), (225, 5, 1): (2, 2), (7, 3, 2): (1, 1), (8, 7, 2): (2, 3)}


@pytest.mark.parametrize("size, kernel, stride", list(TF_PADS))
def test_same_pads_split_as_tensorflow(size, kernel, stride):
    before, after = same_pads(size, kernel, stride)
    assert (before, after) == TF_PADS[size, kernel, stride]
    assert (size + before + after - kernel) // stride + 1 == math.ceil(size / stride)  # TF's output size


@pytest.mark.parametrize("kernel", [3, 5, 7])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size", [(16, 16), (17, 17), (16, 17)])
def test_same_conv_matches_timm_tf_port_conv(kernel, stride, size):
    torch.manual_seed(0)
    ours = padded_conv(4, 6, kernel, stride, "same")
    assert isinstance(ours, Conv2dSame) == (stride == 2)  # stride 1 with an odd kernel is the symmetric k // 2
    theirs = TimmConv2dSame(4, 6, kernel, stride)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(2, 4, *size)
    out = ours(x)
    assert out.shape[-2:] == tuple(math.ceil(s / stride) for s in size)
    assert torch.equal(out, theirs(x))


def test_split_rules_and_a_group_without_channels():
    assert split_channels(40, 3) == [14, 13, 13]
    assert split_channels(32, 3, "exponential") == [16, 8, 8]
    assert split_channels(30, 4, "exponential") == [17, 7, 3, 3]
    with pytest.raises(ValueError, match="a group with no channel"):
        split_channels(4, 5)
    with pytest.raises(ValueError, match="a group with no channel"):
        MixConv(6, 6, (3, 5, 7, 9), depthwise=True, split="exponential")  # 6 // 8 = 0 for the last two


def test_mixconv_is_its_groups_convolved_apart():
    torch.manual_seed(0)
    mix = MixConv(12, 12, (3, 5, 7), stride=2, depthwise=True)
    x = torch.randn(1, 12, 15, 15)
    parts = torch.split(x, mix.in_splits, 1)
    expected = torch.cat([nn.functional.conv2d(p, c.weight, stride=2, padding=c.kernel_size[0] // 2, groups=p.shape[1])
                          for p, c in zip(parts, mix)], 1)
    assert torch.allclose(mix(x), expected)


def test_efficientnet_scaling():
    assert compound_scaling(1) == pytest.approx((1.2, 1.1, 1.15))
    assert scale_depth((MBConvRow(3, 3, 1, 6, 80),), 3.1) == [10]  # B7: ceil(3 x 3.1)
    for phi, (w, d, res, dropout) in COEFFICIENTS.items():
        model = create_model(f"efficientnet_b{phi}")
        assert model.default_cfg["input_size"][-1] == res and model.head.drop.p == dropout
    with pytest.raises(ValueError, match=r"EfficientNet-B8 has no released coefficients .* width_coefficient"):
        efficientnet(phi=8)
    with pytest.raises(ValueError, match="pass them with phi=None"):
        efficientnet(phi=2, width_coefficient=1.1)
    custom = efficientnet(phi=None, width_coefficient=1.1, depth_coefficient=1.2)
    assert sum(p.numel() for p in custom.parameters()) == sum(p.numel() for p in create_model(
        "efficientnet_b2").parameters())  # B2's coefficients given by hand build B2


@pytest.mark.parametrize("size", ["m", "l"])
@pytest.mark.parametrize("depth", [0.8, 1.3])
def test_mixnet_m_and_l_round_their_scaled_depth_as_timm(size, depth):
    # M's stage totals 1, 2, 4, 4, 4, 4: at 0.8 rounding gives 1, 2, 3, 3, 3, 3 where ceil would give 1, 2, 4, 4, 4, 4;
    # at 1.3, 1, 3, 5, 5, 5, 5 where ceil would give 2, 3, 6, 6, 6, 6
    with torch.device("meta"):
        ours = create_model(f"mixnet_{size}", depth=depth)
        theirs = timm.create_model(f"mixnet_{size}", depth_multiplier=depth)
    blocks = [len(stage) for stage in ours.stages]
    assert blocks == [len(stage) for stage in theirs.blocks]
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    assert blocks == {0.8: [1, 2, 3, 3, 3, 3], 1.3: [1, 3, 5, 5, 5, 5]}[depth]


def test_lite_keeps_stem_head_and_end_stages():
    lite4, b4 = create_model("efficientnet_lite4"), create_model("efficientnet_b4")
    assert lite4.stem.conv.out_channels == 32 and lite4.final_conv.conv.out_channels == 1280
    assert (len(lite4.stages[0]), len(lite4.stages[-1])) == (1, 1) and len(b4.stages[0]) == 2
    assert not any(block.se for stage in lite4.stages for block in stage)
    assert isinstance(lite4.stem.act, nn.ReLU6) and isinstance(b4.stem.act, nn.SiLU)


def test_se_squeezes_the_block_input_and_stochastic_depth_ramps():
    model = create_model("efficientnet_b0")
    block = model.stages[1][0]  # 16 -> 24, expanded to 96: SE on 96 channels squeezes to 16 // 4
    assert (block.se.fc1.in_channels, block.se.fc1.out_channels) == (96, 4)
    probs = [b.drop_path.p if b.drop_path else 0.0 for stage in model.stages for b in stage]
    assert probs[-2] == pytest.approx(0.2 * 14 / 16)  # block 14 of 16 (the last has no shortcut)
    block = model.stages[5][3].train()  # block 14: p = 0.175
    x = torch.randn(32, 192, 4, 4)
    torch.manual_seed(0)
    assert not torch.equal(block(x), block(x))  # each call drops other samples' branches
    block.eval()
    assert torch.equal(block(x), block(x))


def test_tf_named_file_loaded_with_symmetric_padding_warns(tmp_path):
    from safetensors.torch import save_file
    state = timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict()
    path = tmp_path / "tf_efficientnet_lite0.safetensors"
    save_file(state, path)
    with pytest.warns(UserWarning, match="SAME padding differs at every stride-2 layer.*tf_efficientnet_lite0"):
        load_reference_weights(path, "timm", "efficientnet_lite0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = load_reference_weights(path, "timm", "tf_efficientnet_lite0")
    assert model.config["padding"] == "same" and model.config["bn_eps"] == 1e-3
    assert model.default_cfg["mean"] == (0.5, 0.5, 0.5) and model.default_cfg["interpolation"] == "bicubic"


def test_convert_saves_the_sources_preprocessing(tmp_path, capsys):
    from safetensors.torch import save_file
    src = tmp_path / "b1.safetensors"
    save_file(torchvision.models.efficientnet_b1().state_dict(), src)
    out = tmp_path / "b1.pth"
    assert main(["convert", str(src), "--source", "torchvision", "--arch", "efficientnet_b1", "--out", str(out),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preprocessing"]["crop_pct"] == round(240 / 255, 4)
    _, extra = load_checkpoint(out)
    assert extra["preprocessing"] == {"input_size": 240, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                                      "interpolation": "bilinear", "crop_pct": round(240 / 255, 4),
                                      "style": "imagenet", "in_chans": 3}


def test_dynamic_height_and_width_only_for_onnx(tmp_path, capsys):
    assert main(["export", str(tmp_path / "m.pth"), "--format", "pte", "--dynamic-hw"]) == 2
    assert "--dynamic-hw is for ONNX" in capsys.readouterr().err


def test_mixconv_exports_to_executorch_with_a_dynamic_batch(tmp_path):
    pytest.importorskip("executorch")
    from lightnets.deploy import export_pte
    model = nn.Sequential(MixConv(3, 8, (3, 5), stride=2, padding="same"), nn.BatchNorm2d(8),
                          MixConv(8, 8, (3, 5, 7), depthwise=True)).eval()
    report = export_pte(model, tmp_path / "m.pte", 16)  # checked at batch 1 and above: the slices stay dynamic
    assert report.max_abs_diff < 1e-4 and report.max_batch > 1
