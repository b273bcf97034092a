"""`lightnets netadapt`: a trained checkpoint narrowed to a target from the command line,
its JSON, its files and its errors (latency as multiply-adds: conftest.py)."""

import json

import pytest
import torch

from lightnets import create_model
from lightnets.checkpoint import load_checkpoint, save_model
from lightnets.cli import main
from lightnets.data import Preprocessing

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


pytestmark = pytest.mark.usefixtures("macs_latency")  # tests/search/conftest.py


def checkpoint(tmp_path, name="mobilenet_v1"):
    torch.manual_seed(0)
    model = create_model(name, width=0.25, num_classes=10)
    return str(save_model(model, tmp_path / f"{name}.pth",
                          extra={"preprocessing": Preprocessing.cifar(32).to_dict(), "classes": CLASSES}))


ARGS = ["--data", "sample", "--backend", "eager", "--target-ratio", "0.85", "--initial-reduction", "0.1",
        "--short-steps", "2", "--batch-size", "16", "--held-out", "0.02", "--no-progress"]


def test_netadapt_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["netadapt", checkpoint(tmp_path), *ARGS, "--long-epochs", "1", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["measured_ms"] <= doc["target_ms"] == pytest.approx(0.85 * doc["start"]["measured_ms"])
    assert doc["stopped"].startswith("target met") and doc["trajectory"] == str(out / "trajectory.png")
    model, extra = load_checkpoint(doc["final"])
    assert model.widths == doc["iterations"][-1]["widths"] and extra["classes"] == CLASSES
    assert doc["final_top1"] == extra["metrics"]["val_top1"]
    assert (out / "final" / "last.pth").is_file() and (out / "iterations" / "iter_001.pth").is_file()
    # the people's version: the trajectory as a table
    assert main(["netadapt", checkpoint(tmp_path), *ARGS, "--long-epochs", "0", "--out", str(tmp_path / "b")]) == 0
    text = capsys.readouterr().out
    assert "held-out top-1 (%)" in text and "target met" in text and "next: lightnets eval" in text


@pytest.mark.parametrize("extra, message", [
    (["--target-ratio", "0.05"], "below the floor of this architecture"),
    (["--target-ratio", "0.5", "--resume"], "--resume needs --out"),
])
def test_netadapt_errors_are_one_line(tmp_path, capsys, extra, message):
    argv = ["netadapt", checkpoint(tmp_path), *ARGS[:4], "--no-progress", *extra]
    if "--resume" not in extra:
        argv += ["--out", str(tmp_path / "run")]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_checkpoint_without_widths_is_refused(tmp_path, capsys):
    assert main(["netadapt", checkpoint(tmp_path, "resnet18"), *ARGS, "--out", str(tmp_path / "run")]) == 2
    assert "resnet18 has no per-layer widths" in capsys.readouterr().err
