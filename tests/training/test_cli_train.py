"""`lightnets train` on an image folder: it trains, stops, resumes and fine-tunes; bad input
gets a message naming it and leaves no files; torchrun runs it on two processes."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lightnets.checkpoint import load_checkpoint, save_model
from lightnets.cli import main
from lightnets.cli import train as train_cli
from lightnets.io import load_file

OPTIONS = {"--width": "0.25", "--resolution": "32", "--batch-size": "16", "--lr": "0.01", "--threads": "1",
           "--device": "cpu"}


def flat(options: dict) -> list[str]:
    """``{"--a": "1", "--b": None}`` -> ``["--a", "1", "--b"]``."""
    return [x for k, v in options.items() for x in ((k,) if v is None else (k, v))]


FAST = [*flat(OPTIONS), "--no-progress"]
TRAIN_KEYS = {"model", "width", "resolution", "in_chans", "num_classes", "model_kwargs", "init_from", "data", "classes",
              "preprocessing", "skipped", "skipped_paths", "out_dir", "epochs", "epochs_done", "stopped_early",
              "task", "score", "best_score", "best_epoch", "best", "last", "metrics", "curves"}


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
    from lightnets.data.preprocessing import SMALL_INPUT
    from lightnets.training import INIT_SOURCES, RECIPES

    assert train_cli.RECIPES == tuple(RECIPES) and train_cli.INIT_SOURCES == INIT_SOURCES
    assert train_cli.AUGMENTS == tuple(AUGMENTS) and train_cli.SAMPLE == SAMPLE
    assert train_cli.SMALL_INPUT == SMALL_INPUT


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
    ({"--resolution": "16"}, "--resolution 16 is smaller than mobilenet_v3_small's total stride 32"),
    ({"--resolution": "0"}, "--resolution must be a positive number of pixels, got 0"),
    ({"--in-chans": "2"}, "--in-chans must be 1 \\(grey images\\) or 3 \\(RGB\\) to train on images, got 2"),
    ({"--data": "{tmp}/one"}, r"the data has 1 class \(only\); a classifier needs at least two classes"),
    ({"--out": "{tmp}/v2.pth"}, r"--out .*v2.pth is an existing file, not a folder"),
    ({"--out": "/proc/lightnets-run"}, r"cannot write --out /proc/lightnets-run: the folder /proc is not writable"),
])
def test_bad_input_is_named_and_leaves_no_files(tmp_path, folder, capsys, change, message):
    from lightnets import create_model

    (tmp_path / "empty").mkdir()
    image_folder(tmp_path / "one", {"only": 100}, per_class=4)
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


def test_eval_scores_the_images_training_held_out(tmp_path, folder, capsys):
    from lightnets.data import Preprocessing, open_data

    out = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "mobilenet_v3_small", "--data", folder, "--epochs", "1", "--out", out,
                              "--seed", "5", "--val-fraction", "0.2", *FAST)
    assert code == 0 and f"next        lightnets eval {out / 'best.pth'} --data {folder}" in stdout
    assert load_checkpoint(out / "best.pth")[1]["data"] == {"root": str(folder.resolve()),
                                                           "split": {"val_fraction": 0.2, "seed": 5}}
    code = main(["eval", str(out / "best.pth"), "--data", str(folder), "--json"])
    report = json.loads(capsys.readouterr().out)
    held_out = open_data(folder, pre=Preprocessing.cifar(32), val_fraction=0.2, seed=5).val
    assert code == 0 and report["images"] == len(held_out) == 10  # round(24 x 0.2) of each class
    assert "(val_fraction 0.2, seed 5)" in report["data"]
    code = main(["eval", str(out / "best.pth"), "--data", str(folder), "--val-fraction", "0.1"])
    err = capsys.readouterr().err
    assert code == 2 and "trained on" in err and "val_fraction 0.2, seed 5; val_fraction 0.1 (--val-fraction) " \
        "would split it differently and score images it was trained on" in err


def test_skip_corrupt_names_the_images_it_left_out(tmp_path, capsys):
    data = image_folder(tmp_path / "images", {"bright": 190, "dark": 60}, per_class=12)
    (data / "dark" / "broken.png").write_bytes(b"not a png")
    code, stdout, _ = run_cli(capsys, "mobilenet_v3_small", "--data", data, "--epochs", "1", "--out",
                              tmp_path / "run", "--skip-corrupt", *FAST)
    assert code == 0 and f"skipped 1 unreadable image(s): {data / 'dark' / 'broken.png'}" in stdout


def test_json_and_model_kwargs(tmp_path, folder, capsys):
    out = tmp_path / "run"
    code, stdout, err = run_cli(capsys, "mobilenet_v3_small", "--data", folder, "--epochs", "1", "--out", out,
                                "--model-kwargs", "drop_rate=0.5", "--json", *FAST)
    d = json.loads(stdout)  # the whole of stdout
    assert code == 0 and set(d) == TRAIN_KEYS and "data: ImageFolder" in err and "[best]" in err  # progress
    assert (d["width"], d["resolution"], d["in_chans"], d["num_classes"], d["model_kwargs"]) == (
        0.25, 32, 3, 2, {"drop_rate": 0.5})
    assert (d["best"], d["epochs_done"], d["stopped_early"], d["classes"]) == (str(out / "best.pth"), 1, None,
                                                                             ["bright", "dark"])
    model, _ = load_checkpoint(out / "best.pth")
    assert model.config["drop_rate"] == 0.5
    assert [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)] == [0.5]
    code, stdout, err = run_cli(capsys, "mobilenet_v3_small", "--data", folder, "--epochs", "1", "--out",
                                tmp_path / "tuned", "--init-from", out / "best.pth", "--model-kwargs", "minimal=true",
                                *FAST)
    assert code == 2 and stdout == ""
    assert f"--model-kwargs minimal True differs from --init-from {out / 'best.pth'}'s False; leave it out" in err
