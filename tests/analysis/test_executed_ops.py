"""The counter works from what executes: functional ops, other libraries' models, liveness.

References nobody here chose: PyTorch's own ``FlopCounterMode`` (MACs = FLOPs / 2) and
counts worked out by hand below.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from zoo_models import REPRESENTATIVES, build

from lightnets import create_model, profile

torchvision = pytest.importorskip("torchvision")


def flop_counter_macs(model: nn.Module, shape) -> int:
    model.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, *shape))
    return counter.get_total_flops() // 2


class FunctionalProbe(nn.Module):
    """Arithmetic written as functions and tensor methods, not modules."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(16, 16))
        self.norm = nn.GroupNorm(2, 8)

    def forward(self, x):  # x: 1 x 8 x 4 x 4
        y = F.relu(x) + x  # act 128, add 128
        y = torch.cat([y, x], 1)  # 1 x 16 x 4 x 4
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)  # channel shuffle
        t = y.flatten(2)  # 1 x 16 x 16
        t = torch.matmul(t, t.transpose(1, 2))  # bmm 16x16x16 = 4096 MACs
        t = t @ self.w  # 16 x 16 x 16 = 4096 MACs, a weight: fc
        z = torch.tanh(t).mean() + F.gelu(self.norm(x)).sum()
        return z


def test_functional_ops_are_counted_by_hand_and_as_flop_counter_counts():
    probe = FunctionalProbe()
    p = profile(probe, (8, 4, 4))
    kinds = p.by_kind()
    assert p.macs == 4096 + 4096 == flop_counter_macs(probe, (8, 4, 4))
    assert kinds["matmul"]["macs"] == 4096 and kinds["fc"]["macs"] == 4096
    assert kinds["act"]["elementwise"] == 128 + 256 + 128  # relu, tanh, gelu
    assert kinds["add"]["elementwise"] == 128
    assert kinds["cat"]["layers"] == 1 and kinds["shuffle"]["layers"] == 1
    assert kinds["shuffle"]["traffic"] == 2 * 256 * 4  # read and write every value once, fp32
    assert kinds["norm"]["elementwise"] == 128
    assert p.params == 16 * 16 + 2 * 8


def test_memory_traffic_and_intensity_of_one_conv():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    (row,) = profile(conv, (3, 8, 8)).rows
    macs = 8 * 8 * 8 * 3 * 9
    traffic = 4 * (3 * 64 + 8 * 3 * 9 + 8 + 8 * 64)  # input + weight + bias read, output written
    assert (row.macs, row.traffic) == (macs, traffic)
    assert row.intensity == pytest.approx(macs / traffic)


def test_peak_activation_memory_is_the_largest_set_alive_at_once():
    net = nn.Sequential(nn.Conv2d(3, 8, 1), nn.ReLU(inplace=True), nn.Conv2d(8, 4, 1), nn.ReLU(), nn.Conv2d(4, 2, 1))
    p = profile(net, (3, 8, 8))
    # While the second conv runs: the input (held by the caller), the first conv's output (its
    # ReLU works in place) and the second conv's output. Later sets are smaller.
    assert p.peak_activation_bytes == 4 * 64 * (3 + 8 + 4)
    # The largest single output is a different, smaller number.
    assert p.largest_activation * 4 == 4 * 64 * 8


def test_a_module_called_twice_has_its_parameters_counted_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)
            self.unused = nn.Linear(4, 2)

        def forward(self, x):
            return self.conv(self.conv(x))

    model = Twice()
    p = profile(model, (4, 8, 8))
    assert p.params == 4 * 4 * 9 + 4
    assert p.macs == 2 * 64 * 4 * 4 * 9
    assert p.unexecuted_params == 4 * 2 + 2
    assert [r.name for r in p.rows] == ["conv", "conv"]


@pytest.mark.parametrize("name", REPRESENTATIVES)
def test_every_registered_model_matches_flop_counter(name):
    model = build(name)
    size = max(64, model.min_input)
    assert profile(model, size).macs == flop_counter_macs(model, (model.in_chans, size, size))


TORCHVISION = {
    "resnet18": dict(),
    "densenet121": dict(),
    "googlenet": dict(aux_logits=False, init_weights=False),
    "shufflenet_v2_x0_5": dict(),
    "mnasnet0_5": dict(),
    "squeezenet1_1": dict(),
}


@pytest.fixture(scope="module")
def torchvision_profiles():
    out = {}
    for name, kwargs in TORCHVISION.items():
        model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
        out[name] = (model, profile(model, 64))
    return out


@pytest.mark.parametrize("name", list(TORCHVISION))
def test_torchvision_models_match_flop_counter_and_param_count(torchvision_profiles, name):
    model, p = torchvision_profiles[name]
    assert p.macs == flop_counter_macs(model, (3, 64, 64))
    assert p.params == sum(t.numel() for t in model.parameters())


def test_residual_adds_concatenations_and_shuffles_have_rows(torchvision_profiles):
    kinds = {name: p.by_kind() for name, (_, p) in torchvision_profiles.items()}
    assert kinds["resnet18"]["add"]["layers"] == 8  # one shortcut per basic block
    assert kinds["densenet121"]["cat"]["layers"] == 58 + 4  # a cat per dense layer, one per block's end
    assert kinds["shufflenet_v2_x0_5"]["shuffle"]["layers"] == 16  # one channel shuffle per unit
    assert kinds["shufflenet_v2_x0_5"]["cat"]["layers"] == 16
    assert any(r.name == "layer1.0.add" for r in torchvision_profiles["resnet18"][1].rows)


def test_squeeze_excite_layers_are_found_from_the_dataflow():
    ours = profile(create_model("mobilenet_v3_small"), 224).by_kind()
    theirs = profile(torchvision.models.mobilenet_v3_small(weights=None), 224).by_kind()
    assert ours["se"]["layers"] == theirs["se"]["layers"] == 2 * 9  # two layers in each of 9 gated blocks
    assert ours["se"]["macs"] == theirs["se"]["macs"]


def test_a_model_on_the_meta_device_counts_as_on_the_cpu():
    """Storages are told apart by their own identity, not their data's address, which the meta
    device leaves at 0 for every tensor: a model built there only to be counted has the same
    parameters and MACs. (Not the same traffic: the meta device runs some ops, hard-swish
    among them, as decompositions into several aten ops, each of which reads and writes.)"""
    with torch.device("meta"):
        meta = create_model("mobilenet_v3_small", width=0.5)
    cpu = create_model("mobilenet_v3_small", width=0.5)
    counted, expected = profile(meta, 64), profile(cpu, 64)
    assert (counted.params, counted.macs) == (expected.params, expected.macs)
    assert counted.params == sum(p.numel() for p in cpu.parameters())
