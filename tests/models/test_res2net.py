"""Res2Net-50 and Res2NeXt-50 (Gao et al. 2019, arXiv:1904.01169): timm's parameter counts, the hierarchical split's
arithmetic, the first block's pooled split, the SE option, bad scales and groups, and a short training run."""

import pytest
import timm
import torch
from torch import nn
from training.tiny_training import brightness_splits, preprocessing

from lightnets import create_model
from lightnets.layers import Res2NetBottleneck
from lightnets.models.res2net import res2net
from lightnets.training import TrainConfig, train

NAMES = ("res2net50_26w_4s", "res2net50_48w_2s", "res2net50_14w_8s", "res2net50_26w_6s", "res2net50_26w_8s",
         "res2next50")


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", NAMES)
def test_params_and_feature_info_are_timms(name):
    with torch.device("meta"):
        ours, theirs = create_model(name), timm.create_model(name)
    assert num_params(ours) == num_params(theirs)
    assert [(f["num_chs"], f["reduction"]) for f in ours.feature_info] == [
        (f["num_chs"], f["reduction"]) for f in theirs.feature_info[1:]]  # timm lists the stem too


def test_splits_are_w_channels_s_times_doubling_per_stage():
    with torch.device("meta"):
        model = create_model("res2net50_26w_4s")
        next_ = create_model("res2next50")
    blocks = [stage[0] for stage in model.stages]
    assert [b.conv1.conv.out_channels for b in blocks] == [4 * 26 * 2 ** i for i in range(4)]
    assert [len(b.splits) for b in blocks] == [3] * 4
    split = next_.stages[0][0].splits[0].conv
    assert (split.in_channels, split.groups) == (32, 8)  # Res2NeXt-50: 8 groups of 4 in each split of conv2_x


def _split_block(first: bool) -> Res2NetBottleneck:
    torch.manual_seed(0)
    return Res2NetBottleneck(16, 16, split_chs=2, scale=4, first=first).eval()


def test_each_split_after_the_first_sees_the_previous_splits_output():
    block = _split_block(first=False)
    x = torch.randn(1, 16, 6, 6)
    with torch.no_grad():
        x1, x2, x3, x4 = block.conv1(x).split(2, 1)
        y1 = block.splits[0](x1)
        y2 = block.splits[1](x2 + y1)
        y3 = block.splits[2](x3 + y2)
        expected = torch.relu(block.conv3(torch.cat([y1, y2, y3, x4], 1)) + x)
        assert torch.equal(block(x), expected)


def test_a_stages_first_block_convolves_each_split_alone_and_pools_the_last():
    block = _split_block(first=True)
    x = torch.randn(1, 16, 6, 6)
    with torch.no_grad():
        splits = block.conv1(x).split(2, 1)
        outs = [conv(s) for conv, s in zip(block.splits, splits)] + [nn.functional.avg_pool2d(splits[-1], 3, 1, 1)]
        assert torch.equal(block(x), torch.relu(block.conv3(torch.cat(outs, 1)) + x))


def test_se_gates_each_blocks_output_at_c_over_16():
    with torch.device("meta"):
        plain, se = create_model("res2net50_26w_4s"), create_model("res2net50_26w_4s", se=True)
    assert se.stages[0][0].se.fc1.out_channels == 256 // 16
    assert num_params(se) - num_params(plain) == sum(
        2 * c * (c // 16) + c + c // 16 for c, n in ((256, 3), (512, 4), (1024, 6), (2048, 3)) for _ in range(n))


@pytest.mark.parametrize("call, message", [
    (lambda: res2net(scale=1), "scale must be an integer >= 2 .*got 1"),
    (lambda: res2net(scale=0), "scale must be an integer >= 2 .*got 0"),
    (lambda: Res2NetBottleneck(64, 256, split_chs=26, scale=4, groups=4),
     "groups=4 does not divide the 26 channels of each Res2Net split's 3x3 conv; valid: 1, 2, 13, 26$"),
    (lambda: res2net(depth=18), "Res2Net depth must be one of 50, 101, 152"),
    (lambda: res2net(se=1), "se must be True or False, got 1"),
    (lambda: create_model("res2net50_26w_4s", scale=1), "res2net50_26w_4s has no variant option scale"),
])
def test_bad_options_name_what_is_valid(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_small_res2next_learns_the_tiny_problem(tmp_path):
    torch.manual_seed(0)
    model = create_model("res2next50", width=0.25, num_classes=2)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=16, lr=0.05, threads=1,
                         progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config, say=lambda _: None)
    first, last = result.history
    assert last["train_loss"] < first["train_loss"]
