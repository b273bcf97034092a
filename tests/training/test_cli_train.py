"""`lightnets train` on an image folder: it trains, stops, resumes and fine-tunes; bad input
gets a message naming it and leaves no files; torchrun runs it on two processes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lightnets.checkpoint import load_checkpoint, save_model
from lightnets.cli import main
from lightnets.cli import train as train_cli
from lightnets.io import load_file

OPTIONS = {"--width": "0.25", "--input-size": "32", "--batch-size": "16", "--lr": "0.01", "--threads": "1",
           "--device": "cpu"}


def flat(options: dict) -> list[str]:
    """``{"--a": "1", "--b": None}`` -> ``["--a", "1", "--b"]``."""
    return [x for k, v in options.items() for x in ((k,) if v is None else (k, v))]


FAST = [*flat(OPTIONS), "--no-progress"]


def image_folder(root: Path, classes: dict[str, int], per_class: int = 24, size: int = 32) -> Path:
    """``root/<class>/<n>.png``: noisy grey-ish images whose brightness is the class's."""
    rng = np.random.default_rng(0)
    for name, level in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(level, 40, (size, size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return image_folder(tmp_path_factory.mktemp("data") / "images", {"bright": 190, "dark": 60})


def run_cli(capsys, *argv):
    code = main(["train", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_what_the_packages_accept():
    from lightnets.data import AUGMENTS, SAMPLE
    from lightnets.training import INIT_SOURCES, RECIPES

    assert train_cli.RECIPES == tuple(RECIPES) and train_cli.INIT_SOURCES == INIT_SOURCES
    assert train_cli.AUGMENTS == tuple(AUGMENTS) and train_cli.SAMPLE == SAMPLE


def test_train_stop_resume_and_fine_tune(tmp_path, folder, capsys):
    out = tmp_path / "run"
    args = ["mobilenet_v3_small", "--data", folder, "--epochs", "2", "--out", out, *FAST]
    code, stdout, _ = run_cli(capsys, *args, "--max-minutes", "1e-6")
    assert code == 0 and "preprocessing cifar 32px" in stdout
    assert "stopped: 1/2 epochs" in stdout and f"--resume --out {out}" in stdout
    code, _, err = run_cli(capsys, *args, "--resume", "--decay-all")
    assert code == 2 and "run.recipe.no_decay_dw_bn_bias True vs False" in err  # a resumed run keeps its recipe
    code, stdout, _ = run_cli(capsys, *args, "--resume")
    assert code == 0 and "resuming after epoch 1" in stdout and "done: 2/2 epochs" in stdout
    for name in ("best.pth", "last.pth", "metrics.jsonl", "metrics.csv", "curves.png"):
        assert str(out / name) in stdout
    model, extra = load_checkpoint(out / "best.pth")
    assert extra["classes"] == ["bright", "dark"] and extra["preprocessing"]["style"] == "cifar"
    assert model.config["width"] == 0.25 and model.num_classes == 2

    three = image_folder(tmp_path / "three", {"a": 30, "b": 128, "c": 220}, per_class=12)
    code, stdout, _ = run_cli(capsys, "mobilenet_v3_small", "--data", three, "--epochs", "1", "--out",
                              tmp_path / "tuned", "--init-from", out / "best.pth", "--no-progress",
                              *flat({k: v for k, v in OPTIONS.items() if k != "--width"}))
    assert code == 0
    assert f"initialised from lightnets checkpoint {out / 'best.pth'}; classifier head re-initialised for 3 " \
           "classes (the checkpoint's has 2)" in stdout


@pytest.mark.parametrize("change, message", [
    ({"--data": "{tmp}/missing"}, "data folder not found: .*missing"),
    ({"--data": "{tmp}/empty"}, "data folder .*empty is empty"),
    ({"--recipe": "adam"}, r"unknown recipe 'adam'.*valid: mobilenet, mobilenet-cosine, sgd-cosine"),
    ({"--batch-size": "512"}, "batch size 512 is larger than the 44 training images"),
    ({"--init-from": "{tmp}/v2.pth"}, r"holds a mobilenet_v2, but this run trains a mobilenet_v3_small"),
    ({"--resume": None}, r"nothing to resume: .*run/last.pth does not exist"),
    ({"--input-size": "16"}, "--input-size 16 is smaller than mobilenet_v3_small's total stride 32"),
])
def test_bad_input_is_named_and_leaves_no_files(tmp_path, folder, capsys, change, message):
    from lightnets import create_model

    (tmp_path / "empty").mkdir()
    save_model(create_model("mobilenet_v2", width=0.35, num_classes=2), tmp_path / "v2.pth")
    options = {"--data": str(folder), "--out": str(tmp_path / "run"), "--epochs": "1", **OPTIONS,
               **{k: v if v is None else v.replace("{tmp}", str(tmp_path)) for k, v in change.items()}}
    code, _, err = run_cli(capsys, "mobilenet_v3_small", *flat(options), "--no-progress")
    assert code == 2 and re.search(message, err), err
    assert not (tmp_path / "run").exists()


def test_torchrun_trains_on_two_processes(tmp_path, folder):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "lightnets.cli",
         "train", "mobilenet_v3_small", "--data", str(folder), "--epochs", "2", "--out", str(out), *FAST],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes, global batch 16 (8 each)" in done.stdout and done.stdout.count("done: 2/2 epochs") == 1
    training = load_file(out / "last.pth")["training"]
    assert training["epoch"] == 2 and training["world_size"] == 2
