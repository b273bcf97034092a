"""DenseNet-BC (arXiv:1608.06993): Table 1's layer counts and shapes, torchvision's published
parameter and operation counts, the growth rate / compression / bottleneck options, the
memory-efficient mode's gradients, bad input and a short training run."""

import math

import pytest
import timm
import torch
import torchvision
from torch import nn

from lightnets import create_model, profile
from lightnets.analysis.architecture_table import architecture_table
from lightnets.layers import DenseBlock, Transition
from lightnets.models.densenet import COLUMNS

TORCHVISION = {"densenet121": "DenseNet121", "densenet161": "DenseNet161", "densenet169": "DenseNet169",
               "densenet201": "DenseNet201"}


def meta_model(name: str, **variant) -> nn.Module:
    with torch.device("meta"):
        return create_model(name, **variant)


def weighted_layers(model: nn.Module) -> int:
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())


@pytest.mark.parametrize("depth, layers", [(121, 121), (161, 161), (169, 169), (201, 201), (264, 265)])
def test_the_depth_in_the_name_counts_the_weighted_layers(depth, layers):
    """DenseNet-121 = the stem conv + 2 convs in each of 58 dense layers + 3 transitions + the FC.
    Table 1's DenseNet-264 column, dense blocks of (6, 12, 64, 48) layers, has 265: its name is one off."""
    model = meta_model(f"densenet{depth}")
    assert weighted_layers(model) == layers == COLUMNS[depth].depth
    assert [len(stage[-1].layers) for stage in model.stages] == list(COLUMNS[depth].blocks)


def test_table_1_output_sizes_and_channels():
    """Table 1 at 224: conv 112x112, pool 56, dense blocks at 56/28/14/7; DenseNet-121 (k=32)
    starts with 2k = 64 maps, each block adds its layers x 32, each transition halves."""
    model = meta_model("densenet121", features_only=True)
    x = torch.empty(1, 3, 224, 224, device="meta")
    assert model.stem.conv(x).shape == (1, 64, 112, 112)
    assert model.stem(x).shape == (1, 64, 56, 56)
    maps = model(x)
    assert [tuple(m.shape[1:]) for m in maps] == [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (1024, 7, 7)]
    full = meta_model("densenet121")
    transitions = [stage[0] for stage in full.stages[1:]]
    assert all(isinstance(t, Transition) and isinstance(t.pool, nn.AvgPool2d) for t in transitions)
    assert [(t.conv.in_channels, t.conv.out_channels) for t in transitions] == [(256, 128), (512, 256), (1024, 512)]
    layer = full.stages[0][0].layers[5]  # the last layer of dense block 1: 64 + 5 x 32 maps in
    assert (layer.bottleneck.conv.in_channels, layer.bottleneck.conv.out_channels) == (224, 128)  # 1x1 to 4k
    assert (layer.conv.conv.kernel_size, layer.conv.conv.out_channels) == ((3, 3), 32)
    assert isinstance(full.final_conv.bn, nn.BatchNorm2d) and isinstance(full.final_conv.act, nn.ReLU)


# Table 1's DenseNet-121 column as printed (Layers, DenseNet-121), with each row's input at 224
TABLE_1 = [
    ("224x224x3", "Convolution", "7 x 7 conv, stride 2"),
    ("112x112x64", "Pooling", "3 x 3 max pool, stride 2"),
    ("56x56x64", "Dense Block (1)", "[1 x 1 conv, 3 x 3 conv] x 6"),
    ("56x56x256", "Transition Layer (1)", "1 x 1 conv, 2 x 2 average pool, stride 2"),
    ("28x28x128", "Dense Block (2)", "[1 x 1 conv, 3 x 3 conv] x 12"),
    ("28x28x512", "Transition Layer (2)", "1 x 1 conv, 2 x 2 average pool, stride 2"),
    ("14x14x256", "Dense Block (3)", "[1 x 1 conv, 3 x 3 conv] x 24"),
    ("14x14x1024", "Transition Layer (3)", "1 x 1 conv, 2 x 2 average pool, stride 2"),
    ("7x7x512", "Dense Block (4)", "[1 x 1 conv, 3 x 3 conv] x 16"),
    ("7x7x1024", "Classification Layer", "global average pool, 1000D fully-connected, softmax"),
]


def test_the_paper_table_is_table_1_and_its_rows_add_up():
    table = architecture_table(create_model("densenet121"), 224)
    assert table.columns == ("Layers", "DenseNet-121 (k = 32)")
    assert [(row.input_text, *row.cells) for row in table.rows] == TABLE_1
    assert sum(r.macs for r in table.rows) == table.macs == 2_834_161_664
    assert sum(r.params for r in table.rows) == table.params == 7_978_856


def test_feature_info_is_timms():
    ours = meta_model("densenet121").feature_info
    with torch.device("meta"):
        theirs = timm.create_model("densenet121").feature_info[1:]  # timm lists the stem too
    assert [(f["num_chs"], f["reduction"]) for f in ours] == [(f["num_chs"], f["reduction"]) for f in theirs]


def test_params_and_macs_equal_torchvisions_published_counts():
    """torchvision's weights metadata (readable offline): num_params exactly, _ops (GMACs at 224,
    printed to three decimals) to its rounding."""
    for name, weights in TORCHVISION.items():
        meta = getattr(torchvision.models, f"{weights}_Weights").IMAGENET1K_V1.meta
        counted = profile(create_model(name), 224)
        assert counted.params == meta["num_params"], name
        assert round(counted.macs / 1e9, 3) == meta["_ops"], name


def test_growth_rate_compression_and_bottleneck_options():
    model = meta_model("densenet121", growth_rate=12, compression=1.0, bn_size=2)  # DenseNet-B, k = 12
    assert model.stem.conv.conv.out_channels == 24  # 2k
    assert [f["num_chs"] for f in model.feature_info] == [24 + 6 * 12, 96 + 12 * 12, 240 + 24 * 12, 528 + 16 * 12]
    assert model.stages[1][0].conv.out_channels == 96  # compression 1 keeps every map
    assert model.stages[0][0].layers[0].bottleneck.conv.out_channels == 24  # bn_size x k
    odd = meta_model("densenet121", compression=0.3)
    assert odd.stages[1][0].conv.out_channels == math.floor(0.3 * 256) == 76  # floor(theta m)
    assert meta_model("densenet169", width=0.5).stem.conv.conv.out_channels == 32  # width scales k
    big = meta_model("densenet161")
    assert big.stem.conv.conv.out_channels == 96 and big.stages[0][0].layers[0].conv.conv.out_channels == 48


def test_drop_rate_drops_after_each_dense_layer():
    model = meta_model("densenet121", drop_rate=0.2)
    drops = [m.p for m in model.modules() if isinstance(m, nn.Dropout)]
    assert drops == [0.2] * 58 + [0.0]  # every dense layer, then the classifier's (off)


def _gradients(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    model.zero_grad()
    model(x).square().sum().backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}


def test_memory_efficient_mode_gives_the_plain_modes_gradients_and_recomputes():
    torch.manual_seed(0)
    plain = create_model("densenet121", growth_rate=4, num_classes=3).train()
    efficient = create_model("densenet121", growth_rate=4, num_classes=3, memory_efficient=True).train()
    efficient.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    calls = []
    efficient.stages[2][1].layers[3].bottleneck.bn.register_forward_hook(lambda *_: calls.append(1))
    expected, got = _gradients(plain, x), _gradients(efficient, x)
    assert expected.keys() == got.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-6, atol=1e-6, msg=name)
    assert len(calls) == 2  # the bottleneck's BN ran again in the backward pass

    def saved_elements(model: nn.Module) -> int:
        total = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: total.append(t.numel()) or t, lambda t: t):
            model(x).sum()
        return sum(total)

    assert saved_elements(efficient) < 0.8 * saved_elements(plain)  # the concatenations are not stored


def test_memory_efficient_model_traces_and_runs_without_gradients():
    model = create_model("densenet121", growth_rate=4, num_classes=3, memory_efficient=True).eval()
    x = torch.randn(1, 3, 32, 32)
    traced = torch.fx.symbolic_trace(model)
    assert torch.equal(traced(x), model(x))
    with torch.no_grad():
        assert torch.equal(model(x), traced(x))


@pytest.mark.parametrize("variant, message", [
    ({"growth_rate": 0}, r"growth_rate must be an integer >= 1 \(k, the maps each dense layer adds\), got 0"),
    ({"growth_rate": -32}, r"growth_rate must be an integer >= 1 .*got -32"),
    ({"growth_rate": 12.5}, r"growth_rate must be an integer >= 1 .*got 12.5"),
    ({"bn_size": 0}, r"bn_size must be an integer >= 1 .*got 0"),
    ({"compression": 0}, r"compression must be a number in \(0, 1\] .*got 0"),
    ({"compression": 1.5}, r"compression must be a number in \(0, 1\] .*got 1.5"),
    ({"compression": 0.001}, r"compression 0.001 leaves transition 1 none of its 256 maps"),
    ({"drop_rate": 1.0}, r"drop_rate must be a number in \[0, 1\), got 1.0"),
    ({"memory_efficient": "yes"}, r"memory_efficient must be True or False, got 'yes'"),
    ({"width": 0}, r"width must be > 0"),
])
def test_bad_options_are_refused_naming_the_value(variant, message):
    with pytest.raises(ValueError, match=message):
        meta_model("densenet121", **variant)


def test_unknown_depth_and_fixed_presets():
    from lightnets.models.densenet import densenet

    with pytest.raises(ValueError, match="unknown DenseNet depth 100; valid: 121, 161, 169, 201, 264"):
        densenet(depth=100)
    with pytest.raises(ValueError, match="densenet161 has no variant option growth_rate"):
        create_model("densenet161", growth_rate=32)  # DenseNet-161 is k = 48


def test_two_epochs_on_the_tiny_problem_lower_the_loss(tmp_path):
    from training.tiny_training import brightness_splits, preprocessing

    from lightnets.training import TrainConfig, train

    torch.manual_seed(0)
    model = create_model("densenet121", growth_rate=4, num_classes=2, drop_rate=0.0)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="mobilenet", epochs=2, batch_size=16, lr=0.01,
                         threads=1, progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert isinstance(model.stages[3][1], DenseBlock)
