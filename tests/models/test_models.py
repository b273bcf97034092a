import functools
import json
import random

import pytest
import torch

from zoo_models import FIXED_INPUT, REPRESENTATIVES, TRIMMED_BELOW_STRIDE, build

from lightnets import create_model, list_models
from lightnets.layers import mobilenet_v3_width
from lightnets.models import FeatureNet, create_model_from_config
from lightnets.models.mobilenet_v3 import LARGE, SMALL
from lightnets.models.registry import variant_names

ALL = list_models()


def test_registry_lists_the_mobilenet_family():
    assert list_models("mobilenet*") == [
        "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_large_minimal",
        "mobilenet_v3_small", "mobilenet_v3_small_minimal",
    ]
    assert list_models("mobilenet_v3_small*") == ["mobilenet_v3_small", "mobilenet_v3_small_minimal"]


@pytest.mark.parametrize("name", REPRESENTATIVES)
def test_interface(name):
    model = build(name, num_classes=10).eval()
    size = max(96, model.min_input)
    x = torch.randn(2, model.in_chans, size, size)
    feats = model.forward_features(x)
    if model.final_conv is None:
        assert feats.shape[1] == model.feature_info[-1]["num_chs"]
    assert model.forward_head(feats).shape == (2, 10)
    assert model.forward_head(feats, pre_logits=True).shape == (2, model.num_features)
    assert torch.equal(model(x), model.forward_head(feats))
    strides = [f["reduction"] for f in model.feature_info]
    assert strides == sorted(strides) and strides[-1] == model.total_stride
    assert model.default_cfg["input_size"][0] == model.in_chans
    model.reset_classifier(5)
    assert model(x).shape == (2, 5)
    model.reset_classifier(0)
    assert model(x).shape == (2, model.num_features)


def test_state_dict_keys_are_stable_and_meaningful():
    keys = create_model("mobilenet_v2").state_dict().keys()
    assert "stem.conv.weight" in keys
    assert "stages.1.0.expand.conv.weight" in keys
    assert "stages.1.0.dw.conv.weight" in keys
    assert "stages.1.0.project.bn.running_var" in keys
    assert "final_conv.conv.weight" in keys
    assert "head.fc.weight" in keys


def test_mobilenet_v1_feature_info_follows_table_1():
    info = create_model("mobilenet_v1").feature_info
    assert [(f["num_chs"], f["reduction"]) for f in info] == [(64, 2), (128, 4), (256, 8), (512, 16), (1024, 32)]


def test_mobilenet_v2_width_policy_rounds_to_8_and_keeps_1280_head_below_1():
    small = create_model("mobilenet_v2", width=0.35)
    assert small.stem.conv.out_channels == 16
    assert small.final_conv.conv.out_channels == 1280
    assert create_model("mobilenet_v2", width=1.4).final_conv.conv.out_channels == 1792
    for m in small.modules():
        if isinstance(m, torch.nn.Conv2d) and m is not small.stem.conv:
            assert m.out_channels % 8 == 0


def test_mobilenet_v3_tables_have_paper_block_counts_and_se_rule():
    assert sum(len(s) for s in LARGE.stages) == 15
    assert sum(len(s) for s in SMALL.stages) == 11
    assert mobilenet_v3_width(72) == 24 and mobilenet_v3_width(960) == 240 and mobilenet_v3_width(16) == 8
    large = create_model("mobilenet_v3_large")
    block = large.stages[2][0]  # bneck 5x5, exp 72, 40, SE, RE, s2
    assert block.dw.conv.kernel_size == (5, 5) and block.se.fc1.out_channels == 24
    assert isinstance(block.se.gate, torch.nn.Hardsigmoid)
    assert isinstance(large.head.act, torch.nn.Hardswish) and large.head.hidden.out_features == 1280


def test_minimalistic_has_no_se_no_hard_swish_and_3x3_only():
    model = create_model("mobilenet_v3_large_minimal")
    mods = list(model.modules())
    assert not any(isinstance(m, (torch.nn.Hardswish, torch.nn.Hardsigmoid)) for m in mods)
    assert all(m.se is None for s in model.stages for m in s)
    assert {m.kernel_size for m in mods if isinstance(m, torch.nn.Conv2d) and m.groups > 1} == {(3, 3)}


@pytest.mark.parametrize("width", [0.1, 0.35, 1.3, 2.0])
@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small"])
def test_any_positive_width_and_resolution_builds_and_runs(name, width):
    model = create_model(name, width=width, resolution=128).eval()
    assert model.default_cfg["input_size"] == (3, 128, 128)
    assert model(torch.randn(1, 3, 72, 40)).shape == (1, 1000)


def test_in_chans_and_grayscale_input():
    model = create_model("mobilenet_v3_small", in_chans=1, num_classes=3).eval()
    assert model(torch.randn(1, 1, 64, 64)).shape == (1, 3)
    with pytest.raises(ValueError, match="model takes in_chans=1, got an input with 3 channels"):
        model(torch.randn(1, 3, 64, 64))


def test_bad_input_gets_clear_errors():
    model = create_model("mobilenet_v2").eval()
    with pytest.raises(ValueError, match="input 16x16 is smaller than the network's total stride 32"):
        model(torch.randn(1, 3, 16, 16))
    with pytest.raises(ValueError, match=r"expected a 4-D batch"):
        model(torch.randn(3, 224, 224))
    with pytest.raises(ValueError, match="unknown model 'mobilenetv2'; did you mean mobilenet_v2"):
        create_model("mobilenetv2")
    with pytest.raises(ValueError, match="width must be > 0"):
        create_model("mobilenet_v1", width=-1)
    with pytest.raises(ValueError, match="mobilenet_v2 has no variant option minimal; valid: drop_rate, bn_eps"):
        create_model("mobilenet_v2", minimal=True)
    with pytest.raises(ValueError, match="resolution must be an integer >= the total stride 32"):
        create_model("mobilenet_v2", resolution=8)
    with pytest.raises(ValueError, match="num_classes must be an integer >= 0"):
        create_model("mobilenet_v2", num_classes=-3)


def test_models_trace_with_fx_and_export():
    model = create_model("mobilenet_v3_small").eval()
    x = torch.randn(1, 3, 64, 64)
    traced = torch.fx.symbolic_trace(model)
    assert torch.equal(traced(x), model(x))
    adds = [n for n in traced.graph.nodes if n.op == "call_function" and "add" in str(n.target)]
    muls = [n for n in traced.graph.nodes if n.op == "call_function" and "mul" in str(n.target)]
    assert adds and muls, "residual adds and SE multiplies should be visible to fx"


def test_default_cfg_statistics_follow_in_chans():
    assert create_model("mobilenet_v2", in_chans=1).default_cfg["mean"] == (0.449,)
    assert len(create_model("mobilenet_v2", in_chans=1).default_cfg["std"]) == 1



@pytest.mark.parametrize("name, widest", [("mobilenet_v1", 1024), ("mobilenet_v2", 320), ("mobilenet_v3_large", 960),
                                          ("mobilenet_v3_small", 576)])
def test_widths_below_the_familys_smallest_meaningful_one_are_refused(name, widest):
    # the widest width-scaled layer: V1's last stage, V2's last stage (its 1280 head never
    # narrows), V3's last 1x1 conv (its expansions follow their rounded inputs)
    bound = 8 / 0.9 / widest  # make_divisible leaves 8 once the scaled value passes 8 / 0.9
    with pytest.raises(ValueError, match=f"width 1e-09 rounds every width-scaled layer.*{widest} channels"):
        create_model(name, width=1e-9)
    with pytest.raises(ValueError, match="rounds every width-scaled layer"):
        create_model(name, width=bound * 0.999)
    just_above = create_model(name, width=bound * 1.001)
    assert 16 in [m.out_channels for m in just_above.modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize("variant, message", [
    ({"width": float("inf")}, r"width must be > 0 and at most 10 .*got inf"),
    ({"width": 1000}, r"width must be > 0 and at most 10 .*got 1000"),
    ({"width": float("nan")}, r"width must be > 0 and at most 10 .*got nan"),
    ({"resolution": 100000}, r"resolution must be an integer from the network's total stride up to 2048 .*100000"),
    ({"resolution": 224.0}, r"resolution must be an integer .*got 224.0"),
    ({"bn_eps": -1}, r"bn_eps must be a finite number > 0 .*got -1"),
    ({"bn_eps": float("inf")}, r"bn_eps must be a finite number > 0 .*got inf"),
])
def test_out_of_range_variants_are_refused_before_building(variant, message):
    with pytest.raises(ValueError, match=message):
        create_model("mobilenet_v3_small", **variant)
    assert create_model("mobilenet_v3_small", resolution=2048).default_cfg["input_size"] == (3, 2048, 2048)


@pytest.mark.parametrize("name", [None, 2, create_model])
def test_a_model_name_that_is_not_a_string_is_named_with_the_registered_ones(name):
    with pytest.raises(ValueError, match=r"model name must be a string, got .*; registered: mobilenet_v1, mobilenet_v2"):
        create_model(name)


def test_an_integer_image_batch_is_refused_with_how_to_normalise_it():
    from lightnets.data import Preprocessing, eval_transform

    model = create_model("mobilenet_v3_small", num_classes=3).eval()
    image = torch.tensor([30, 128, 250], dtype=torch.uint8).view(3, 1, 1).expand(3, 64, 64).contiguous()
    with pytest.raises(ValueError, match=r"model takes a floating-point batch, got dtype torch.uint8; convert it to "
                                         r"float and normalise it .*default_cfg"):
        model(image[None])
    # both remedies the message gives feed the model the same normalised input (the image is
    # one colour, so the pipeline's resize and crop leave its values alone)
    mean, std = (torch.tensor(model.default_cfg[k]).view(1, 3, 1, 1) for k in ("mean", "std"))
    by_hand = (image[None].float() / 255 - mean) / std
    piped = eval_transform(Preprocessing.from_model(model.default_cfg, model.in_chans, 64))(image)[None]
    assert torch.allclose(piped, by_hand, atol=1e-6)
    assert model(piped).shape == (1, 3)


def narrowed(name: str) -> dict:
    """The family's plan (``model.widths``) with its last slot's channels a little narrower."""
    with torch.device("meta"):
        widths = create_model(name).widths
    last = list(widths)[-1]
    widths[last] = widths[last] - 8 if isinstance(widths[last], int) else [*widths[last][:-1], widths[last][-1] - 8]
    return widths


def searched(name: str) -> list:
    """A point of the platform-aware search space around the family's table (``stages=``)."""
    from lightnets.search.space import MobileNetV3Space

    space = MobileNetV3Space("small" if "small" in name else "large")
    return space.stages(space.sample(random.Random(0)))


# A value other than the default for every variant option a registered model has; a new
# option fails test_every_variant_option_has_a_round_trip_case until it is added here.
NON_DEFAULT = {"separable": False, "shallow": True, "act": "relu6", "minimal": True, "drop_rate": 0.3, "bn_eps": 1e-2,
               "growth_rate": 12, "compression": 1.0, "bn_size": 2, "memory_efficient": True, "split_expand": True,
               "aux_logits": True, "paper_5x5": True, "connection_table": False, "subsampling": "avg",
               "stride_in_1x1": True, "base_width": 128, "cardinality": 2, "se": True, "small_input": True,
               "widths": narrowed, "version": "1_1", "bypass": "complex", "groups": 8, "gather": "theta_plus",
               "extent": 4, "gc_ratio": 0.25, "sk_reduction": 8, "sk_min_width": 16, "sk_split_input": True,
               "authors_layout": True, "stages": searched, "se_reduction": 8, "padding": "same",
                "drop_path_rate": 0.1, "depth": 1.5, "output_stride": 16, "embedding_dim": 64}
# options that apply only beside another: the case sets that one too where the model takes it
NEEDS = {"se_reduction": {"se": True}}
COMMON = ({"num_classes": 7}, {"in_chans": 2}, {"width": 0.5}, {"resolution": 96})
FIXED_WIDTH = {"lenet5",  # its table fixes every width: width 1.0 only (tests/models/test_lenet.py)
               "shufflenet_v2_x0_5"}  # its name fixes the width (tests/models/test_shufflenet.py)


def non_default(name: str, option: str):
    value = NON_DEFAULT.get(option)
    return value(name) if callable(value) else value


def round_trip_variant(name: str, option: str) -> dict:
    needed = {k: v for k, v in NEEDS.get(option, {}).items() if k in variant_names(name)}
    return {option: non_default(name, option), **needed}


ROUND_TRIPS = [
    (name, round_trip_variant(name, option)) for name in REPRESENTATIVES for option in variant_names(name)
] + [(name, variant) for name in REPRESENTATIVES for variant in COMMON
     if not (name in FIXED_WIDTH and "width" in variant) and not (name in FIXED_INPUT and "resolution" in variant)]


@functools.cache
def default_repr(name: str) -> str:
    return repr(build(name))


def test_every_variant_option_has_a_round_trip_case():
    assert {option for name in ALL for option in variant_names(name)} <= NON_DEFAULT.keys()


@pytest.mark.parametrize("name, variant", ROUND_TRIPS, ids=[f"{n}-{next(iter(v))}" for n, v in ROUND_TRIPS])
def test_the_config_a_checkpoint_stores_rebuilds_the_exact_model(name, variant):
    model = build(name, **variant).eval()
    assert repr(model) != default_repr(name) or "resolution" in variant, "the variant must change the model"
    config = json.loads(json.dumps(model.config))  # as a .safetensors checkpoint stores it
    assert config["name"] == name and all(config[k] == v for k, v in variant.items())
    rebuilt = create_model_from_config(config).eval()
    assert rebuilt.config == model.config and rebuilt.default_cfg == model.default_cfg
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}
    assert list(rebuilt.state_dict()) == list(model.state_dict())
    rebuilt.load_state_dict(model.state_dict())
    size = max(64, model.min_input)
    x = torch.randn(2, model.in_chans, size, size)
    assert torch.equal(rebuilt(x), model(x))


def test_a_config_whose_preset_contradicts_its_name_is_refused():
    config = create_model("mobilenet_v3_small").config
    assert config["size"] == "small" and create_model_from_config(config).config == config
    with pytest.raises(ValueError, match="the config's size='large' contradicts its name 'mobilenet_v3_small'"):
        create_model_from_config({**config, "size": "large"})


@pytest.mark.parametrize("name", REPRESENTATIVES)
def test_features_only_returns_the_maps_feature_info_states(name):
    model = build(name, features_only=True).eval()
    assert isinstance(model, FeatureNet)
    size = -(-max(64, model.min_input) // model.total_stride) * model.total_stride  # a multiple of the stride
    maps = model(torch.randn(1, model.in_chans, size, size))
    assert [m.shape[1] for m in maps] == [f["num_chs"] for f in model.feature_info]
    if model.min_input == model.total_stride and name not in TRIMMED_BELOW_STRIDE:
        assert [(size // m.shape[-1], size % m.shape[-1]) for m in maps] == [
            (f["reduction"], 0) for f in model.feature_info
        ]
    else:  # unpadded convs and pools trim each map, so its size is not size / reduction, but it grows by
        # exactly total_stride / reduction when the input grows by the total stride
        larger = model(torch.randn(1, model.in_chans, size + model.total_stride, size + model.total_stride))
        assert [b.shape[-1] - a.shape[-1] for a, b in zip(maps, larger)] == [
            model.total_stride // f["reduction"] for f in model.feature_info
        ]
    assert len(maps) == len(build(name).feature_info)


def test_features_only_selects_stages_and_rebuilds_from_its_config():
    model = create_model("mobilenet_v2", features_only=True, out_indices=(1, -1), width=0.5).eval()
    assert [(f["num_chs"], f["reduction"]) for f in model.feature_info] == [(16, 4), (160, 32)]
    rebuilt = create_model_from_config(json.loads(json.dumps(model.config))).eval()
    assert rebuilt.config == model.config and rebuilt.out_indices == (1, 6)
    rebuilt.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 64, 64)
    assert all(torch.equal(a, b) for a, b in zip(rebuilt(x), model(x)))
    classifier = create_model("mobilenet_v2", width=0.5)
    missing, unexpected = model.load_state_dict(classifier.state_dict(), strict=False)
    assert not missing and all(k.startswith(("final_conv.", "head.")) for k in unexpected)
    with pytest.raises(ValueError, match="out_indices=.*pass features_only=True with it"):
        create_model("mobilenet_v2", out_indices=(1,))
    with pytest.raises(ValueError, match=r"out_indices must be .*from 0 to 6"):
        create_model("mobilenet_v2", features_only=True, out_indices=(7,))
    with pytest.raises(ValueError, match="input 8x8 is smaller than the network's total stride 32"):
        model(torch.randn(1, 3, 8, 8))
