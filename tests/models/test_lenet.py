"""LeNet-5 against the paper (LeCun et al. 1998, Section II.B and Table I): every layer's
trainable parameters and connections as printed, the C3 connection table as the text
describes it, map sizes 32 -> 28 -> 14 -> 10 -> 5, and a short training run."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from training.tiny_training import brightness_splits, preprocessing

from lightnets import create_model, profile
from lightnets.layers import ConnectionTableConv
from lightnets.models.lenet import C3_TABLE
from lightnets.training import TrainConfig, train

# Section II.B, layer by layer: (trainable parameters, connections)
PAPER = {"C1": (156, 122_304), "S2": (12, 5_880), "C3": (1_516, 151_600), "S4": (32, 2_000),
         "C5": (48_120, 48_120), "F6": (10_164, 10_164)}
OUTPUT_CONNECTIONS = 840  # 10 RBF units x 84 inputs, parameters fixed by hand (not trainable)


def layers(model):
    """The paper's layers of a lightnets LeNet-5, by the paper's names."""
    (c1, s2), (c3, s4) = model.stages
    return {"C1": c1, "S2": s2, "C3": c3, "S4": s4, "C5": model.head.hidden[0], "F6": model.head.hidden[1]}


@pytest.fixture(scope="module")
def lenet():
    return create_model("lenet5").eval()


def test_every_layer_has_the_papers_trainable_parameters(lenet):
    counts = {name: sum(p.numel() for p in layer.parameters()) for name, layer in layers(lenet).items()}
    assert counts == {name: params for name, (params, _) in PAPER.items()}
    classifier = sum(p.numel() for p in lenet.head.fc.parameters())
    assert classifier == 84 * 10 + 10  # lightnets' linear classifier where the paper has fixed RBF units
    assert sum(p.numel() for p in lenet.parameters()) - classifier == 60_000  # "60,000 trainable free parameters"


def test_connections_counted_from_the_layer_shapes_are_the_papers_340908(lenet):
    """A connection is one input of a unit, its bias included; a subsampling unit has 4 inputs."""
    shapes = {}
    hooks = [layer.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, o.shape[1:]))
             for name, layer in layers(lenet).items()]
    with torch.no_grad():
        lenet(torch.zeros(1, 1, 32, 32))
    for hook in hooks:
        hook.remove()
    assert shapes == {"C1": (6, 28, 28), "S2": (6, 14, 14), "C3": (16, 10, 10), "S4": (16, 5, 5), "C5": (120,),
                      "F6": (84,)}
    fan_in = {"C1": 5 * 5, "S2": 2 * 2, "C5": 16 * 5 * 5, "F6": 120, "S4": 2 * 2}
    connections = {name: shape.numel() * (fan_in[name] + 1) for name, shape in shapes.items() if name != "C3"}
    c3 = layers(lenet)["C3"]
    connections["C3"] = 10 * 10 * sum(len(row) * 5 * 5 + 1 for row in c3.table)  # each map its own inputs
    assert connections == {name: conns for name, (_, conns) in PAPER.items()}
    assert sum(connections.values()) + OUTPUT_CONNECTIONS == 340_908  # "contains 340,908 connections"


def test_macs_are_the_connected_multiplies_only(lenet):
    rows = profile(lenet, 32).rows
    c3 = sum(r.macs for r in rows if r.name.startswith("stages.1.0."))
    assert c3 == 10 * 10 * 1_500  # 1,500 weights of Table I's connections, not 6 x 16 x 25 = 2,400
    assert profile(lenet, 32).macs == 117_600 + 1_176 + 150_000 + 400 + 48_000 + 10_080 + 840


def test_table_one_is_the_papers_description():
    """"The first six C3 feature maps take inputs from every contiguous subsets of three feature
    maps in S2. The next six take input from every contiguous subset of four. The next three
    take input from some discontinuous subsets of four. Finally, the last one takes input from
    all S2 feature maps.\""""
    contiguous = lambda start, n: tuple(sorted((start + i) % 6 for i in range(n)))  # noqa: E731
    assert [tuple(sorted(r)) for r in C3_TABLE[:6]] == [contiguous(s, 3) for s in range(6)]
    assert [tuple(sorted(r)) for r in C3_TABLE[6:12]] == [contiguous(s, 4) for s in range(6)]
    assert all(len(r) == 4 and tuple(sorted(r)) not in [contiguous(s, 4) for s in range(6)] for r in C3_TABLE[12:15])
    assert sorted(C3_TABLE[15]) == list(range(6))
    # each S2 map feeds 10 of the 16 C3 maps (Table I has 10 X's in every row)
    assert [sum(i in row for row in C3_TABLE) for i in range(6)] == [10] * 6


@pytest.mark.parametrize("table", [C3_TABLE, ((2, 0), (1,), (0, 1, 2), (2, 1))])  # the second: fan-ins interleaved
def test_connection_table_conv_is_a_dense_conv_with_the_unconnected_weights_zero(table):
    layer = ConnectionTableConv(6 if table is C3_TABLE else 3, table, 5, padding=2, act=None)
    dense = torch.zeros(len(table), layer.in_chs, 5, 5)
    bias = torch.zeros(len(table))
    for group in layer.groups:
        maps = [j for j, row in enumerate(table) if len(row) == group.conv.weight.shape[1]]
        for k, j in enumerate(maps):
            dense[j, list(table[j])] = group.conv.weight[k]
            bias[j] = group.conv.bias[k]
    x = torch.randn(2, layer.in_chs, 12, 12)
    assert torch.allclose(layer(x), F.conv2d(x, dense, bias, padding=2), atol=1e-5)
    assert sum(p.numel() for p in layer.parameters()) == sum(len(r) * 25 + 1 for r in table)


def test_bad_connection_tables_are_refused():
    with pytest.raises(ValueError, match=r"table row 1 must list distinct input maps from 0 to 5, got \(6,\)"):
        ConnectionTableConv(6, ((0,), (6,)), 5)
    with pytest.raises(ValueError, match="row 0 must list distinct input maps"):
        ConnectionTableConv(6, ((1, 1),), 5)


def test_trainable_subsampling_is_the_papers_formula(lenet):
    """"The four inputs to a unit in S2 are added, then multiplied by a trainable coefficient,
    and added to a trainable bias. The result is passed through a sigmoidal function.\""""
    s2 = layers(lenet)["S2"]
    x = torch.randn(2, 6, 28, 28)
    window_sum = x.unfold(2, 2, 2).unfold(3, 2, 2).sum((-1, -2))
    coefficient = s2.scale.weight.view(1, 6, 1, 1) / 4  # of the sum; lightnets' weight is that of the mean
    with torch.no_grad():
        assert torch.allclose(s2(x), torch.tanh(coefficient * window_sum + s2.scale.bias.view(1, 6, 1, 1)), atol=1e-6)


def test_options_full_c3_and_average_pooling():
    full = create_model("lenet5", connection_table=False)
    assert sum(p.numel() for p in full.stages[1][0].parameters()) == 2_416  # 16 x (6 x 25 + 1)
    pooled = create_model("lenet5", subsampling="avg")
    assert isinstance(pooled.stages[0][1], nn.AvgPool2d) and sum(p.numel() for p in pooled.parameters()) == 60_850 - 44


def test_defaults_are_the_papers_grey_32x32_digits():
    model = create_model("lenet5")
    assert (model.in_chans, model.num_classes, model.min_input, model.total_stride) == (1, 10, 32, 4)
    assert model.default_cfg["input_size"] == (1, 32, 32) and model.default_cfg["mean"] == (0.1307,)
    assert [(f["num_chs"], f["reduction"]) for f in model.feature_info] == [(6, 2), (16, 4)]


def test_bad_input():
    with pytest.raises(ValueError, match=r"input 28x28 is smaller than the network's smallest input 32x32"):
        create_model("lenet5")(torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match=r"lenet5 has the paper's fixed maps .* width must be 1.0, got 0.5"):
        create_model("lenet5", width=0.5)
    with pytest.raises(ValueError, match="subsampling must be one of trainable, avg, got 'max'"):
        create_model("lenet5", subsampling="max")


def test_a_short_training_run_lowers_the_loss(tmp_path):
    torch.manual_seed(0)
    model = create_model("lenet5", in_chans=3, num_classes=2)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=16, lr=0.05, threads=1,
                         progress=False, device="cpu")
    history = train(model, brightness_splits(), preprocessing(), config, say=lambda _: None).history
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_top1"] > 90
