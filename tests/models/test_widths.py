"""Per-layer widths (``widths=``): the MobileNets and the searched MBConv networks built from an
explicit channel count per layer, as NetAdapt or a search leaves them (lightnets/models/widths.py)."""

import json

import pytest
import torch

from lightnets import create_model, profile
from lightnets.models import create_model_from_config

MOBILENETS = ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]
MBCONV_NETS = ["mnasnet_a1", "mnasnet_small", "efficientnet_b0", "efficientnet_b3", "efficientnet_lite0", "mixnet_m"]


def meta(name, **kwargs):
    with torch.device("meta"):
        return create_model(name, **kwargs)


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", MOBILENETS + MBCONV_NETS)
@pytest.mark.parametrize("width", [1.0, 0.35])
def test_the_plan_a_model_was_built_with_rebuilds_it(name, width):
    model = meta(name, width=width)
    again = meta(name, width=width, widths=model.widths)
    assert repr(again) == repr(model) and shapes(again) == shapes(model)
    assert again.widths == model.widths and again.config["widths"] == model.widths


def test_mobilenet_v1_plan_is_table_1():
    assert meta("mobilenet_v1").widths == {"stem": 32, "blocks": [64, 128, 128, 256, 256] + [512] * 6 + [1024] * 2}
    assert meta("mobilenet_v1", shallow=True).widths["blocks"] == [64, 128, 128, 256, 256, 512, 1024, 1024]


def test_narrowing_one_expansion_removes_exactly_its_weights_and_macs():
    # MobileNetV2 block 3 (the first of the c=32 stage): 24 -> expand 144 -> dw 3x3 stride 2 -> 32 at 224
    base = meta("mobilenet_v2")
    widths = json.loads(json.dumps(base.widths))
    assert (widths["out"][2], widths["expand"][3], widths["out"][3]) == (24, 144, 32)
    widths["expand"][3] = 100
    narrow = meta("mobilenet_v2", widths=widths)
    cut = 144 - 100
    a, b = profile(base, 224), profile(narrow, 224)
    # expand 1x1 (24 each) + depthwise 3x3 (9) + project 1x1 (32), and a BN scale and shift after each of the first two
    assert a.params - b.params == cut * (24 + 9 + 32 + 2 + 2)
    assert a.macs - b.macs == cut * (24 * 56 * 56 + 9 * 28 * 28 + 32 * 28 * 28)


def test_narrowing_an_efficientnet_expansion_removes_exactly_its_weights_and_macs():
    # EfficientNet-B0 block 1 (the first of the c=24 stage): 16 -> expand 96 -> dw 3x3 stride 2 -> SE -> 24 at 224;
    # its SE squeezes the block input, 16 * 0.25 = 4 channels, whatever the expanded width
    base = meta("efficientnet_b0")
    widths = json.loads(json.dumps(base.widths))
    assert (widths["out"][0], widths["expand"][1], widths["out"][1]) == (16, 96, 24)
    assert base.stages[1][0].se.fc1.out_channels == 4
    widths["expand"][1] = 64
    narrow = meta("efficientnet_b0", widths=widths)
    cut = 96 - 64
    a, b = profile(base, 224), profile(narrow, 224)
    # expand 1x1 (16 each), BN, depthwise 3x3 (9), BN, SE fc1 (4) and fc2 (4 + its bias), project 1x1 (24)
    assert a.params - b.params == cut * (16 + 2 + 9 + 2 + 4 + 4 + 1 + 24)
    assert a.macs - b.macs == cut * (16 * 112 * 112 + 9 * 56 * 56 + 4 + 4 + 24 * 56 * 56)


def test_a_pruned_network_keeps_its_architectures_shortcuts():
    # MobileNetV2's c=96 stage (blocks 10-12) follows the c=64 stage: narrowed to 64 its first
    # block's widths match, but it had no shortcut and gets none
    widths = meta("mobilenet_v2").widths
    widths["out"][10:13] = [64, 64, 64]
    model = meta("mobilenet_v2", widths=widths)
    stage = model.stages[4]
    assert [block.has_shortcut for block in stage] == [False, True, True]
    assert stage[0].project.conv.out_channels == 64


@pytest.mark.parametrize("name, change, message", [
    ("mobilenet_v2", lambda w: w["out"].__setitem__(12, 90),
     r"mobilenet_v2 block 12 has a shortcut, so widths\['out'\]\[12\] must equal its input widths\['out'\]\[11\] = 96, "
     "got 90"),
    ("mobilenet_v2", lambda w: w["expand"].__setitem__(0, 16),
     r"mobilenet_v2 block 0 has no expansion conv, so widths\['expand'\]\[0\] must equal its input widths\['stem'\] = 32"),
    ("mobilenet_v3_large", lambda w: w.__setitem__("stem", 8),  # its first bneck joins the stem by a shortcut
     r"mobilenet_v3 block 0 has a shortcut, so widths\['out'\]\[0\] must equal its input widths\['stem'\] = 8, got 16"),
    ("mobilenet_v1", lambda w: w.pop("stem"), r"mobilenet_v1 widths must be a dict of stem: int, blocks: 13 ints; "
                                              r"got \['blocks'\]"),
    ("mobilenet_v1", lambda w: w["blocks"].pop(), r"widths\['blocks'\] must be 13 channel counts"),
    ("mobilenet_v3_small", lambda w: w.__setitem__("hidden", 0), r"widths\['hidden'\] must be a channel count"),
    ("efficientnet_b0", lambda w: w["out"].__setitem__(2, 20),  # block 2 repeats c=24 with a shortcut
     r"efficientnet block 2 has a shortcut, so widths\['out'\]\[2\] must equal its input widths\['out'\]\[1\] = 24"),
    ("mnasnet_a1", lambda w: w["expand"].__setitem__(0, 24),  # the first block is a separable conv, no expansion
     r"mnasnet block 0 has no expansion conv, so widths\['expand'\]\[0\] must equal its input widths\['stem'\]"),
    ("mixnet_s", lambda w: w["expand"].__setitem__(1, 141),  # block 1 expands 16 -> 96 in 2 groups
     r"mixnet block 1 splits its expansion 1x1 into 2 groups, so widths\['expand'\]\[1\] must be divisible by 2, "
     "got 141"),
    ("efficientnet_lite0", lambda w: w.pop("head"), r"efficientnet widths must be a dict of stem: int, expand: 16 "
                                                    r"ints, out: 16 ints, head: int"),
])
def test_widths_that_break_the_architecture_are_refused(name, change, message):
    widths = meta(name).widths
    change(widths)
    with pytest.raises(ValueError, match=message):
        meta(name, widths=widths)


def test_a_searched_network_saves_reloads_and_runs():
    widths = meta("mobilenet_v3_small", small_input=True).widths
    widths["expand"] = [max(8, e // 2) if i else e for i, e in enumerate(widths["expand"])]
    widths["hidden"] = 256
    torch.manual_seed(0)
    model = create_model("mobilenet_v3_small", small_input=True, widths=widths, num_classes=10).eval()
    config = json.loads(json.dumps(model.config))  # as a checkpoint stores it
    rebuilt = create_model_from_config(config).eval()
    rebuilt.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(rebuilt(x), model(x)) and model(x).shape == (2, 10)
    assert model.head.hidden.out_features == 256
    assert profile(model, 32).macs < profile(create_model("mobilenet_v3_small", small_input=True), 32).macs
