"""`--json`: every subcommand writes exactly one JSON document on stdout, whose top-level keys
are the same whatever its other options (null where one does not apply); what it prints
for people goes to stderr. The commands that need a checkpoint, data or an export are
checked beside their other tests (tests/cli/test_eval_predict.py, tests/training,
tests/deploy, tests/interop)."""

import json
import subprocess
import sys

import pytest

import lightnets
from lightnets.cli import build_parser, main

MODEL_KEYS = {"model", "width", "resolution", "in_chans", "num_classes", "model_kwargs"}
KEYS = {
    "models": {"pattern", "param_convention", "models"},
    "grid": MODEL_KEYS | {"param_convention", "widths", "resolutions", "cells"},
    "conv-cost": {"input", "out_channels", "kernel", "stride", "standard", "depthwise", "pointwise", "separable",
                  "ratio", "ratio_formula"},
    "report": {"checks", "rows_as_expected", "latency"},
}


def document(capsys, *argv) -> dict:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)  # fails on anything printed beside the document


def profile_keys(name: str, resolution: int) -> set[str]:
    """profile's: the model options, the profiler's own dictionary, layers and the time taken."""
    counted = lightnets.profile(lightnets.create_model(name), resolution).to_dict(per_layer=True)
    return MODEL_KEYS | set(counted) | {"layers", "profile_seconds"}


def test_every_subcommand_takes_json():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {name for name, p in sub.choices.items() if "--json" in p._option_string_actions} == set(sub.choices)


@pytest.mark.parametrize("argv", [
    ["models", "mobilenet_v3_small"],
    ["models", "mobilenet_v1*"],
    ["grid", "mobilenet_v1", "--widths", "1", "--resolutions", "64"],
    ["grid", "mobilenet_v1", "--widths", "0.5,1", "--resolutions", "64,96", "--model-kwargs", "shallow=true"],
    ["conv-cost", "--input", "5x5x3", "--out", "4"],
    ["conv-cost", "--input", "8x8x16", "--out", "32", "--kernel", "5", "--stride", "2"],
])
def test_the_keys_do_not_depend_on_the_options(capsys, argv):
    assert set(document(capsys, *argv, "--json")) == KEYS[argv[0]]


def test_profile_keys_with_and_without_per_layer(capsys):
    expected = profile_keys("mobilenet_v3_small", 64)
    plain = document(capsys, "profile", "mobilenet_v3_small", "--resolution", "64", "--json")
    full = document(capsys, "profile", "mobilenet_v3_small", "--resolution", "64", "--per-layer", "--by-kind",
                    "--json")
    assert set(plain) == set(full) == expected
    assert plain["layers"] is None and full["layers"][0]["name"] == "stem.conv"
    assert (plain["model"], plain["width"], plain["resolution"], plain["in_chans"], plain["num_classes"],
            plain["model_kwargs"]) == ("mobilenet_v3_small", 1.0, 64, 3, 1000, {})


def test_report_without_latency_says_null(capsys, monkeypatch):
    import lightnets.reference

    monkeypatch.setattr(lightnets.reference, "CHECKS", lightnets.reference.CHECKS[:3])  # the keys, not the numbers
    d = document(capsys, "report", "--no-latency", "--json")
    assert set(d) == KEYS["report"] and d["latency"] is None
    assert d["rows_as_expected"] == len(d["checks"]) == 3 == sum(c["as_expected"] for c in d["checks"])


def test_models_json_is_one_document_in_a_pipe():
    """Through a real stdout: nothing but the document, and a model listed with the
    parameters lightnets.profile counts (the PyTorch convention)."""
    proc = subprocess.run([sys.executable, "-m", "lightnets.cli", "models", "mobilenet_v2", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert set(d) == KEYS["models"] and [m["name"] for m in d["models"]] == ["mobilenet_v2"]
    assert d["models"][0]["params"] == 3_504_872 == lightnets.profile("mobilenet_v2").params


def test_prints_of_a_command_go_to_stderr_under_json(capsys, monkeypatch):
    from lightnets.cli import conv_cost

    real = conv_cost.run

    def chatty(args):
        print("a line for people")
        return real(args)

    monkeypatch.setattr(conv_cost, "run", chatty)
    code = main(["conv-cost", "--input", "5x5x3", "--out", "4", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["separable"] == {"params": 39, "macs": 975}
    assert err == "a line for people\n"
    code = main(["conv-cost", "--input", "5x5x3", "--out", "4"])
    assert code == 0 and capsys.readouterr().out.startswith("a line for people\n")
