"""NASNet-A: the searched cells against timm's NASNet-A large (same weights, same outputs), TF-slim's mobile layout
and counts, TF's SAME pools, and the cells' bad input."""

import re

import pytest
import torch
from timm.layers.pool2d_same import AvgPool2dSame
from timm.models.nasnet import NASNetALarge
from torch import nn

from lightnets import create_model
from lightnets.analysis import profile
from lightnets.layers.factorized_reduction import FactorizedReduction
from lightnets.layers.nasnet_cell import NORMAL_A, CellSpec, NasNetCell
from lightnets.layers.same_padding import Pool2dSame, padded_pool
from lightnets.models.nasnet import nasnet_a

# timm's cells in the order they run, and the names of their parts
TIMM_CELLS = (["cell_stem_0", "cell_stem_1"] + [f"cell_{i}" for i in range(6)] + ["reduction_cell_0"]
              + [f"cell_{i}" for i in range(6, 12)] + ["reduction_cell_1"] + [f"cell_{i}" for i in range(12, 18)])
SEPARABLE_PARTS = {"dw.conv.": "separable_{n}.depthwise_conv2d.", "pw.conv.": "separable_{n}.pointwise_conv2d.",
                   "pw.bn.": "bn_sep_{n}."}
WIDTH = 1 / 6  # F = 28 instead of 168 and a 16-filter stem conv: timm's NASNetALarge(stem_size=16, num_features=672)


def timm_key(model: nn.Module, key: str) -> str:
    """The key in timm's NASNetALarge of one of our NASNet-A large state-dict keys."""
    cell_key = re.match(r"stages\.(\d+)\.(\d+)\.(.*)", key)
    if not cell_key:
        return key.replace("stem.conv.", "conv0.").replace("head.fc.", "last_linear.")
    i, j, rest = int(cell_key[1]), int(cell_key[2]), cell_key[3]
    cell = model.stages[i][j]
    name = TIMM_CELLS[sum(len(s) for s in model.stages[:i]) + j]
    if isinstance(cell.prev, nn.Sequential) and isinstance(cell.prev[1], FactorizedReduction):
        rest = re.sub(r"^prev\.1\.path(\d)\.", r"path_\1.conv.", rest)
        rest = re.sub(r"^prev\.1\.bn\.", "final_path_bn.", rest)
    rest = re.sub(r"^prev\.1\.", "conv_prev_1x1.", rest)
    rest = re.sub(r"^base\.1\.", "conv_1x1.", rest)

    def operation(m: re.Match) -> str:
        op, layer = int(m[1]), int(m[2])
        part = SEPARABLE_PARTS[m[3]].format(n=(layer + 1) // 2)
        return f"comb_iter_{op // 2}_{'left' if op % 2 == 0 else 'right'}.{part}"

    return name + "." + re.sub(r"^ops\.(\d+)\.(\d)\.(dw\.conv\.|pw\.conv\.|pw\.bn\.)", operation, rest)


def timm_pair(padding: str) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    ref = NASNetALarge(stem_size=16, num_features=672, pad_type="" if padding == "symmetric" else "same").eval()
    with torch.no_grad():
        for bn in (m for m in ref.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.5, 0.5), bn.running_var.uniform_(0.5, 2), bn.weight.uniform_(0.5, 1.5)
    ours = create_model("nasnet_a_large", width=WIDTH, padding=padding).eval()
    weights = ref.state_dict()
    ours.load_state_dict({k: weights[timm_key(ours, k)] for k in ours.state_dict()})
    return ref, ours


def test_nasnet_a_large_gives_timms_outputs_from_its_weights():
    ref, ours = timm_pair("symmetric")
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in ref.parameters())
    for side in (64, 67):
        x = torch.randn(2, 3, side, side)
        with torch.no_grad():
            assert torch.equal(ours(x), ref(x))


def test_tf_same_padding_gives_timms_outputs_once_its_average_pools_divide_as_tensorflow():
    # timm's SAME average pool pads with zeros and counts them; TF (and lightnets) divide by the image pixels only
    ref, ours = timm_pair("same")
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(ours(x), ref(x), atol=1e-4)
        pools = [(name, m) for name, m in ref.named_modules() if isinstance(m, AvgPool2dSame)]
        assert len(pools) == 4  # the stride-2 average pool of each reduction cell
        for name, _ in pools:
            parent, attr = name.rsplit(".", 1)
            setattr(ref.get_submodule(parent), attr, Pool2dSame("avg", 3, 2))
        for side in (64, 67):
            x = torch.randn(1, 3, side, side)
            assert torch.equal(ours(x), ref(x))


def test_nasnet_a_mobile_is_tf_slims_4_at_1056():
    model = create_model("nasnet_a_mobile")
    assert [(f["num_chs"], f["reduction"]) for f in model.feature_info] == [(44, 4), (264, 8), (528, 16), (1056, 32)]
    assert [len(s) for s in model.stages] == [1, 5, 5, 5]  # stem cells, then N = 4 normal cells after each reduction
    p = profile(model, 224)
    assert (p.params, p.macs) == (5_289_978, 563_638_816)  # published: 5.3M, 564M
    small = create_model("nasnet_a_mobile", small_input=True, num_classes=10).eval()
    assert small.total_stride == 8 and small(torch.randn(1, 3, 32, 32)).shape == (1, 10)


def test_tf_same_pools_average_over_image_pixels_and_pad_max_pools_with_minus_infinity():
    x = torch.arange(16.0).reshape(1, 1, 4, 4) - 20  # all negative: a zero pad would win a max
    avg, mx = padded_pool("avg", 3, 2, "same"), padded_pool("max", 3, 2, "same")
    assert isinstance(avg, Pool2dSame)
    # TF SAME at 4 pixels, 3x3 / 2: no padding before, one after; windows rows/cols {0,1,2} and {2,3}
    expected_avg = torch.tensor([[x[0, 0, :3, :3].mean(), x[0, 0, :3, 2:].mean()],
                                 [x[0, 0, 2:, :3].mean(), x[0, 0, 2:, 2:].mean()]])
    assert torch.allclose(avg(x)[0, 0], expected_avg)
    assert torch.equal(mx(x)[0, 0], torch.tensor([[-10.0, -9.0], [-6.0, -5.0]]))
    assert isinstance(padded_pool("avg", 3, 1, "same"), nn.AvgPool2d)  # stride 1: static, k // 2 a side


def test_factorized_reduction_splits_an_odd_width_and_reads_every_pixel():
    reduction = FactorizedReduction(8, 11)
    assert (reduction.path1.out_channels, reduction.path2.out_channels) == (5, 6)
    assert reduction(torch.randn(1, 8, 15, 15)).shape == (1, 11, 8, 8)
    x = torch.zeros(1, 8, 4, 4)
    x[..., 1::2, 1::2] = 1  # only odd pixels: the first path sees none of them, the second all
    with torch.no_grad():
        assert reduction.path1(x[..., ::2, ::2]).abs().sum() == 0
    assert FactorizedReduction(8, 11, stride=1).path2 is None


@pytest.mark.parametrize("kwargs, message", [
    ({"operations": ("conv_3x3",) * 10}, "unknown operations"),
    ({"inputs": (0, 1, 0, 1, 0, 1, 0, 1, 0, 7)}, "reads h0, h1 or an earlier block"),
    ({"concat": (9,)}, "concatenates some of states 0..6"),
])
def test_cell_specs_are_checked(kwargs, message):
    spec = {"name": "x", "operations": NORMAL_A.operations, "inputs": NORMAL_A.inputs, "concat": NORMAL_A.concat}
    with pytest.raises(ValueError, match=message):
        CellSpec(**{**spec, **kwargs})


def test_bad_nasnet_options_are_refused():
    with pytest.raises(ValueError, match="size must be one of mobile, large"):
        nasnet_a(size="huge")
    with pytest.raises(ValueError, match="padding must be one of"):
        create_model("nasnet_a_mobile", padding="valid")
    with pytest.raises(ValueError, match="concatenates a state whose width or resolution"):
        NasNetCell(NORMAL_A, 8, 16, 8, adapt_prev=False)  # h1 left at 16 channels, but concatenated


def test_every_nasnet_parameter_learns():
    model = create_model("nasnet_a_mobile", width=0.25, num_classes=3, small_input=True)
    model(torch.randn(2, 3, 32, 32)).logsumexp(1).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_a_factorized_reduction_lowers_to_int8_executorch(tmp_path):
    """The odd path slices instead of padding the whole input (XNNPACK's int8 delegate refused that pad); at an odd
    size, as here, it pads its slice by a row and a column, which the delegate accepts."""
    pytest.importorskip("executorch")
    size = 15
    from lightnets.deploy import export_pte
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), FactorizedReduction(8, 8)).eval()
    calibration = [torch.randn(4, 3, size, size).numpy() for _ in range(2)]
    report = export_pte(model, tmp_path / "m.pte", size, calibration=calibration)
    assert report.int8 and report.max_batch > 1
