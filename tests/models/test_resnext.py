"""ResNeXt-50 / 101 (Xie et al. 2016, arXiv:1611.05431): torchvision's counts, Table 1's layout and groups, the
cardinality refused where it cannot split a width, and a short training run."""

import pytest
import torch
import torchvision
from torch import nn
from training.tiny_training import brightness_splits, preprocessing

from lightnets import create_model, profile
from lightnets.analysis.architecture_table import architecture_table
from lightnets.layers import Bottleneck
from lightnets.models.resnet import resnet
from lightnets.training import TrainConfig, train

NAMES = {  # lightnets name -> torchvision's weights enum, whose metadata holds its counts
    "resnext50_32x4d": torchvision.models.ResNeXt50_32X4D_Weights,
    "resnext101_32x8d": torchvision.models.ResNeXt101_32X8D_Weights,
    "resnext101_64x4d": torchvision.models.ResNeXt101_64X4D_Weights,
}


def meta_model(name: str, **variant) -> nn.Module:
    with torch.device("meta"):
        return create_model(name, **variant)


@pytest.mark.parametrize("name", list(NAMES))
def test_params_and_macs_are_torchvisions(name):
    meta = NAMES[name].IMAGENET1K_V1.meta
    model = meta_model(name)
    assert sum(p.numel() for p in model.parameters()) == meta["num_params"]
    assert round(profile(model, 224).macs / 1e9, 3) == meta["_ops"]


@pytest.mark.parametrize("name, groups, group_width", [("resnext50_32x4d", 32, 4), ("resnext101_32x4d", 32, 4),
                                                       ("resnext101_32x8d", 32, 8), ("resnext101_64x4d", 64, 4)])
def test_the_3x3_convs_have_c_groups_of_d_channels_doubling_per_stage(name, groups, group_width):
    model = meta_model(name)
    convs = [stage[0].conv2.conv for stage in model.stages]
    assert [c.groups for c in convs] == [groups] * 4
    assert [c.out_channels for c in convs] == [groups * group_width * 2 ** i for i in range(4)]
    assert [f["num_chs"] for f in model.feature_info] == [256, 512, 1024, 2048]  # ResNet's outer widths


# Table 1's ResNeXt-50 (32x4d) column, after the Input that `lightnets table` adds
RESNEXT50_TABLE_1 = [
    ("224x224x3", "conv1", "7x7, 64, stride 2"),
    ("112x112x64", "conv2", "3x3 max pool, stride 2; [1x1, 128; 3x3, 128, C=32; 1x1, 256] x 3"),
    ("56x56x256", "conv3", "[1x1, 256; 3x3, 256, C=32; 1x1, 512] x 4"),
    ("28x28x512", "conv4", "[1x1, 512; 3x3, 512, C=32; 1x1, 1024] x 6"),
    ("14x14x1024", "conv5", "[1x1, 1024; 3x3, 1024, C=32; 1x1, 2048] x 3"),
    ("7x7x2048", "-", "global average pool, 1000-d fc, softmax"),
]


def test_the_paper_table_is_table_1():
    table = architecture_table(meta_model("resnext50_32x4d"), 224)
    assert table.source == "ResNeXt (arXiv:1611.05431), Table 1"
    assert table.columns == ("stage", "ResNeXt-50 (32x4d)")
    assert [(row.input_text, *row.cells) for row in table.rows] == RESNEXT50_TABLE_1
    assert sum(row.macs for row in table.rows) == table.macs == 4_230_479_872  # Table 1's 4.2 x 10^9


def test_a_cardinality_that_does_not_split_the_width_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="groups=5 does not divide the 128 channels of the bottleneck's 3x3 conv; "
                                         "valid: 1, 2, 4, 8, 16, 32, 64, 128$"):
        Bottleneck(256, 256, 128, groups=5)
    # the builder's cardinality multiplies the group width d, so C always splits C x d: 5 x 64d builds
    assert meta_model("resnet50", cardinality=5).stages[0][0].conv2.conv.out_channels == 320


@pytest.mark.parametrize("call, message", [
    (lambda: resnet(depth=50, cardinality=0), r"cardinality must be an integer >= 1 .*got 0"),
    (lambda: resnet(depth=50, cardinality=True), r"cardinality must be an integer >= 1 .*got True"),
    (lambda: resnet(depth=18, cardinality=32), r"ResNet-18 is built of basic blocks .*cardinality=32"),
    (lambda: create_model("resnext50_32x4d", cardinality=5), "resnext50_32x4d has no variant option cardinality"),
    (lambda: create_model("resnext50_32x4d", width=0.125),
     r"width=0.125 with base_width=4 leaves conv2_x's 3x3 conv groups of 8 x 4 / 64 < 1 channel"),
])
def test_bad_options_name_what_is_valid(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_small_resnext_learns_the_tiny_problem(tmp_path):
    torch.manual_seed(0)
    model = create_model("resnext50_32x4d", width=0.25, num_classes=2)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=16, lr=0.05, threads=1,
                         progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config, say=lambda _: None)
    first, last = result.history
    assert last["train_loss"] < first["train_loss"]
