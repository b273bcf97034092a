"""`--model-kwargs KEY=VALUE`: a model's variant options from the command line, checked
against its builder on every subcommand that builds a model."""

import json

import pytest

import lightnets
from lightnets.cli import build_parser, main
from lightnets.cli.model_kwargs import parse_model_kwargs

BUILDS_A_MODEL = {"profile", "table", "grid", "bench", "latency-table", "sweep", "train"}
V1_VALID = ("valid: separable=true, shallow=false, act=relu, drop_rate=0.2, bn_eps=1e-05, small_input=false, "
            "widths=None, se=false, se_reduction=16 (the defaults)")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_commands_that_build_a_model_take_it():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {n for n, p in sub.choices.items() if "--model-kwargs" in p._option_string_actions} == BUILDS_A_MODEL


def test_values_take_the_type_of_the_default():
    assert parse_model_kwargs("mobilenet_v1", ["separable=False", "shallow=true", "act=relu6", "drop_rate=0",
                                               "bn_eps=1e-3"]) == {
        "separable": False, "shallow": True, "act": "relu6", "drop_rate": 0.0, "bn_eps": 0.001}
    assert type(parse_model_kwargs("mobilenet_v1", ["drop_rate=0"])["drop_rate"]) is float
    assert parse_model_kwargs("mobilenet_v3_small", ["minimal=true"]) == {"minimal": True}
    widths = {"stem": 16, "blocks": [32] * 13}
    assert parse_model_kwargs("mobilenet_v1", [f"widths={json.dumps(widths)}"]) == {"widths": widths}


@pytest.mark.parametrize("kwargs, params_m, macs_m", [
    (["shallow=true"], 2.9, 307),  # MobileNetV1 paper, Table 5: Shallow MobileNet
    (["separable=false"], 29.3, None),  # Table 4: Conv MobileNet (its 4866M MACs: see reference/checks.py)
])
def test_profile_counts_the_papers_variants(capsys, kwargs, params_m, macs_m):
    code, out, _ = run(capsys, "profile", "mobilenet_v1", "--convention", "conv_fc", "--json", "--model-kwargs",
                       *kwargs)
    d = json.loads(out)
    assert code == 0 and round(d["params"] / 1e6, 1) == params_m
    assert macs_m is None or round(d["macs"] / 1e6) == macs_m
    variant = parse_model_kwargs("mobilenet_v1", kwargs)
    assert d["model_kwargs"] == variant
    assert d["macs"] == lightnets.profile(lightnets.create_model("mobilenet_v1", **variant), 224).macs


@pytest.mark.parametrize("pairs, message", [
    (["foo=1"], f"--model-kwargs foo: mobilenet_v1 has no variant option 'foo'; {V1_VALID}"),
    (["separable=maybe"], f"--model-kwargs separable=maybe: separable takes true or false (default true); {V1_VALID}"),
    (["separable=1"], "separable takes true or false"),
    (["drop_rate=high"], "--model-kwargs drop_rate=high: drop_rate takes a number (default 0.2)"),
    (["drop_rate=true"], "drop_rate takes a number"),
    (["separable"], f"--model-kwargs 'separable' is not KEY=VALUE; {V1_VALID}"),
    (["=1"], "--model-kwargs '=1' is not KEY=VALUE"),
    (["shallow=true", "shallow=false"], "--model-kwargs shallow: given twice"),
    (["width=0.5"], "--model-kwargs width: width has its own option, --width"),
    (["in_chans=1"], "in_chans has its own option, --in-chans"),
    (['widths={"stem": 16,'], "--model-kwargs widths: the value is not valid JSON"),
])
def test_a_bad_pair_is_one_line_naming_the_key_and_the_valid_ones(capsys, pairs, message):
    code, out, err = run(capsys, "profile", "mobilenet_v1", "--model-kwargs", *pairs)
    assert code == 2 and out == "" and err.startswith("lightnets profile: error: --model-kwargs ") and message in err
    assert err.count("\n") == 1, err


def test_a_preset_is_not_a_variant_of_its_name(capsys):
    code, _, err = run(capsys, "profile", "mobilenet_v3_small_minimal", "--model-kwargs", "minimal=false")
    assert code == 2 and "mobilenet_v3_small_minimal has no variant option 'minimal'; valid: drop_rate=0.2, " \
                         "bn_eps=0.001, small_input=false, widths=None, stages=None, padding=symmetric, " \
                         "output_stride=32 (the defaults)" in err


@pytest.mark.parametrize("argv", [
    ["grid", "mobilenet_v1"],
    ["bench", "mobilenet_v1"],
    ["train", "mobilenet_v1", "--data", "sample", "--out", "unused"],
])
def test_every_command_checks_them_before_any_work(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv, "--model-kwargs", "separable=no")
    assert code == 2
    assert f"lightnets {argv[0]}: error: --model-kwargs separable=no: separable takes true or false" in err
    assert list(tmp_path.iterdir()) == []


def test_bench_without_a_model_has_nothing_to_vary(capsys):
    with pytest.raises(SystemExit) as e:
        run(capsys, "bench", "--model-kwargs", "shallow=true")
    assert e.value.code == 2 and "the following arguments are required: MODEL" in capsys.readouterr().err


def test_the_shared_options_default_to_create_models_values():
    import inspect

    from lightnets.cli.common import MODEL_DEFAULTS

    signature = inspect.signature(lightnets.create_model).parameters
    assert {k: signature[k].default for k in ("width", "in_chans", "num_classes")} == {
        k: MODEL_DEFAULTS[k] for k in ("width", "in_chans", "num_classes")}
    assert MODEL_DEFAULTS["resolution"] is None  # each model's own input size (LeNet-5 32, AlexNet's towers 227)
