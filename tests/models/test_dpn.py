"""Dual Path Networks (arXiv:1707.01629): Table 1's layer counts and block widths, timm's
parameter counts, feature_info and preprocessing, the dual path arithmetic, width, bad input
and a short training run."""

import pytest
import timm
import torch
from torch import nn

from lightnets import create_model
from lightnets.analysis.architecture_table import architecture_table
from lightnets.layers import DualPathBlock
from lightnets.models.dpn import NETWORKS

# timm's DPNs (the authors' MXNet models ported), parameters with the 1000-class classifier
TIMM_PARAMS = {"dpn68": 12_611_602, "dpn68b": 12_611_602, "dpn92": 37_668_392, "dpn98": 61_570_728,
               "dpn107": 86_917_800, "dpn131": 79_254_504}


def meta_model(name: str, **variant) -> nn.Module:
    with torch.device("meta"):
        return create_model(name, **variant)


@pytest.mark.parametrize("name", list(TIMM_PARAMS))
def test_params_and_depth_follow_the_table(name):
    """DPN-92 = the stem conv + 3 convs in each of 3 + 4 + 20 + 3 blocks + the classifier (the
    stages' projection shortcuts are not counted, as in ResNet's depths)."""
    model = meta_model(name)
    assert sum(p.numel() for p in model.parameters()) == TIMM_PARAMS[name]
    depth = int(name[3:].rstrip("b"))
    table = NETWORKS[depth]
    convs = [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
             and ".project." not in n and not n.endswith(".expand_dense")]  # a "b" block's two last convs are one layer
    assert len(convs) == depth == 2 + 3 * sum(s.n for s in table.stages)
    assert [len(stage) for stage in model.stages] == [s.n for s in table.stages]


def test_dpn92_blocks_are_table_1s():
    """conv2 of DPN-92: 1x1, 96; 3x3, 96, G = 32; 1x1, 256 (+16), three times; the first block
    projects the 64-map stem output to 256 + 2 x 16, and each block widens the dense path by 16."""
    model = meta_model("dpn92")
    first, second = model.stages[0][0], model.stages[0][1]
    assert isinstance(first, DualPathBlock) and second.project is None
    assert (first.project.conv.in_channels, first.project.conv.out_channels, first.project.conv.stride) == (
        64, 288, (1, 1))
    assert (first.reduce.conv.out_channels, first.grouped.conv.out_channels, first.grouped.conv.groups) == (96, 96, 32)
    assert first.expand.conv.out_channels == 256 + 16
    assert [f["num_chs"] for f in model.feature_info] == [256 + 3 * 16 + 2 * 16, 512 + 3 * 32 + 3 * 32,
                                                        1024 + 3 * 24 + 19 * 24, 2048 + 3 * 128 + 2 * 128]
    down = model.stages[1][0]
    assert down.project.conv.stride == (2, 2) and down.grouped.conv.stride == (2, 2)
    small = meta_model("dpn68")
    assert small.stem.conv.conv.kernel_size == (3, 3) and small.stem.conv.conv.out_channels == 10


def test_the_paper_table_is_table_1s_dpn92_column():
    table = architecture_table(create_model("dpn92"), 224)
    assert table.columns == ("Stage", "DPN-92")
    assert [(row.input_text, *row.cells) for row in table.rows] == [
        ("224x224x3", "conv1", "7 x 7, 64, stride 2"),
        ("112x112x64", "conv2", "3 x 3 max pool, stride 2"),
        ("56x56x64", "conv2", "[1 x 1, 96; 3 x 3, 96, G = 32; 1 x 1, 256 (+16)] x 3"),
        ("56x56x336", "conv3", "[1 x 1, 192; 3 x 3, 192, G = 32; 1 x 1, 512 (+32)] x 4"),
        ("28x28x704", "conv4", "[1 x 1, 384; 3 x 3, 384, G = 32; 1 x 1, 1024 (+24)] x 20"),
        ("14x14x1552", "conv5", "[1 x 1, 768; 3 x 3, 768, G = 32; 1 x 1, 2048 (+128)] x 3"),
        ("7x7x2688", "", "global average pool, 1000-d fc, softmax"),
    ]
    assert sum(r.macs for r in table.rows) == table.macs and sum(r.params for r in table.rows) == table.params


def test_feature_info_and_preprocessing_are_timms():
    with torch.device("meta"):
        theirs = timm.create_model("dpn68")
    ours = meta_model("dpn68")
    assert [(f["num_chs"], f["reduction"]) for f in ours.feature_info] == [
        (f["num_chs"], f["reduction"]) for f in theirs.feature_info[1:]]  # timm lists the stem too
    cfg = theirs.pretrained_cfg
    assert ours.default_cfg["mean"] == pytest.approx(cfg["mean"])
    assert ours.default_cfg["std"] == pytest.approx(cfg["std"])
    assert (ours.default_cfg["interpolation"], ours.default_cfg["crop_pct"]) == (cfg["interpolation"], cfg["crop_pct"])


def test_a_block_adds_its_residual_half_and_concatenates_its_dense_half():
    block = DualPathBlock(in_chs=20, r=8, c=12, inc=4, groups=2).eval()
    x = torch.randn(1, 20, 5, 5)
    with torch.no_grad():
        y = block.expand(block.grouped(block.reduce(x)))
        out = block(x)
    assert out.shape == (1, 24, 5, 5)
    assert torch.equal(out[:, :12], x[:, :12] + y[:, :12])  # residual path
    assert torch.equal(out[:, 12:20], x[:, 12:])  # the dense path so far ...
    assert torch.equal(out[:, 20:], y[:, 12:])  # ... and this block's inc new maps
    with pytest.raises(ValueError, match="in_chs must exceed c=12, got 12; project the stage's first block"):
        DualPathBlock(in_chs=12, r=8, c=12, inc=4, groups=2)


def test_split_expand_blocks_compute_what_one_sliced_conv_computes():
    """DPN-68b's "b" blocks: the two last 1x1 convs stacked are DPN-68's one."""
    one = create_model("dpn68", width=0.25, num_classes=3).eval()
    split = create_model("dpn68b", width=0.25, num_classes=3).eval()
    state = {}
    for key, value in one.state_dict().items():
        if ".expand.conv." in key:
            block = key.rsplit(".expand.", 1)[0]
            c = split.get_submodule(block).c
            state[f"{block}.expand_residual.weight"], state[f"{block}.expand_dense.weight"] = value[:c], value[c:]
        else:
            state[key] = value
    split.load_state_dict(state)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(split(x), one(x), rtol=1e-5, atol=1e-5)
    assert sum(p.numel() for p in split.parameters()) == sum(p.numel() for p in one.parameters())


def test_width_scales_every_path_and_keeps_the_groups():
    model = meta_model("dpn68", width=0.5)
    block = model.stages[0][0]
    assert model.stem.conv.conv.out_channels == 5
    assert (block.reduce.conv.out_channels, block.grouped.conv.groups, block.expand.conv.out_channels) == (64, 32, 40)
    assert model.feature_info[-1]["num_chs"] == 256 + 3 * 32 + 2 * 32


@pytest.mark.parametrize("variant, message", [
    ({"depth": 50}, "unknown DPN depth 50; valid: 68, 92, 98, 107, 131"),
    ({"width": -1}, "width must be > 0"),
])
def test_bad_options_are_refused_naming_the_value(variant, message):
    from lightnets.models.dpn import dpn

    with pytest.raises(ValueError, match=message):
        dpn(**variant)


def test_two_epochs_on_the_tiny_problem_lower_the_loss(tmp_path):
    from training.tiny_training import brightness_splits, preprocessing

    from lightnets.training import TrainConfig, train

    torch.manual_seed(0)
    model = create_model("dpn68", width=0.25, num_classes=2, drop_rate=0.0)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="mobilenet", epochs=2, batch_size=16, lr=0.01,
                         threads=1, progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
