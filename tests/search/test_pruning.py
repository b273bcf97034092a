"""Channel pruning (lightnets/search/pruning.py): the width groups a plan's ties make, the
filters kept by L2 norm, and the weights carried over into the narrower network."""

import pytest
import torch

from lightnets import create_model
from lightnets.checkpoint import load_model, save_model
from lightnets.search.pruning import prune, width_groups


def tiny(name="mobilenet_v1", width=0.5):
    """A model whose every layer passes a signal on (the initial BN and head would not)."""
    torch.manual_seed(0)
    model = create_model(name, width=width, num_classes=10).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5), m.bias.normal_(0, 0.1)
                m.momentum = None  # running statistics: the average of the batches below
            elif isinstance(m, torch.nn.Linear):
                m.weight.normal_(0, 0.1)
        model.train()(torch.randn(16, 3, 32, 32))
    return model.eval()


def test_mobilenet_v1_has_one_group_per_layer():
    groups = width_groups(tiny())
    assert [g.name for g in groups] == ["stem", *[f"blocks[{i}]" for i in range(13)]]
    assert [g.width for g in groups] == [16, 32, 64, 64, 128, 128] + [256] * 6 + [512] * 2


def test_mobilenet_v2_ties_a_stage_through_its_shortcuts():
    groups = {g.name: g.width for g in width_groups(tiny("mobilenet_v2", width=1.0))}
    # block 0 (t=1) has no expansion conv: its expanded width is the stem's
    assert groups["stem+expand[0]"] == 32
    # the c=24 stage: block 1 writes it, block 2's shortcut ties its output to it
    assert groups["out[1]+out[2]"] == 24
    assert groups["out[3]+out[4]+out[5]"] == 32 and groups["out[16]"] == 320
    assert groups["expand[1]"] == 96 and "expand[0]" not in groups
    assert sum(len(name.split("+")) for name in groups) == 1 + 17 * 2 + 1


def test_dead_channels_are_the_ones_pruned_and_the_outputs_do_not_change():
    model = tiny()
    group = width_groups(model)[5]  # blocks[4]: 128 channels at width 0.5
    dead = torch.tensor([3, 17, 40, 41, 64, 90, 100, 127])
    block, following = model.stages[2][1], model.stages[3][0]  # blocks[4] writes what blocks[5] reads
    with torch.no_grad():
        for bn in (block.pw.bn, following.dw.bn):
            bn.bias[dead] = 0
            bn.running_mean[dead] = 0
        block.pw.conv.weight[dead] = 0
    narrow = prune(model, group, 120)
    assert narrow.widths["blocks"][4] == 120 and narrow.config["widths"] == narrow.widths
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(narrow(x), model(x))
    # the kept channels are the others, in order
    kept = [c for c in range(128) if c not in dead.tolist()]
    torch.testing.assert_close(narrow.stages[2][1].pw.conv.weight, block.pw.conv.weight[kept])
    torch.testing.assert_close(narrow.stages[3][0].dw.conv.weight, following.dw.conv.weight[kept])
    torch.testing.assert_close(narrow.stages[3][0].pw.conv.weight, following.pw.conv.weight[:, kept])
    # one more channel, a live one, and the outputs move
    assert not torch.allclose(prune(model, group, 119)(x), model(x), atol=1e-3)


@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "mnasnet_small",
                                  "efficientnet_b0"])
def test_every_group_of_the_inverted_residual_families_prunes(name, tmp_path):
    model = tiny(name)
    x = torch.randn(1, 3, 32, 32)
    for group in width_groups(model):
        narrow = prune(model, group, group.width - 1)
        assert narrow(x).shape == (1, 10)
    # a pruned network is an ordinary model: it saves and reloads with its widths
    path = save_model(narrow, tmp_path / "narrow.pth")
    again = load_model(path)
    assert again.widths == narrow.widths
    torch.testing.assert_close(again(x), narrow.eval()(x))


def test_pruning_refuses_what_it_cannot_do():
    model = tiny()
    group = width_groups(model)[0]
    with pytest.raises(ValueError, match="pruning keeps 1 to 16"):
        prune(model, group, 17)
    with pytest.raises(ValueError, match="resnet18 has no per-layer widths"):
        width_groups(create_model("resnet18", num_classes=10))
    with pytest.raises(ValueError, match="mixnet_s takes per-layer widths, but cannot be pruned: its MixConvs"):
        width_groups(create_model("mixnet_s", width=0.5, num_classes=10))
