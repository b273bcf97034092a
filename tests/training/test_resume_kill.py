"""A run killed with SIGKILL mid-training and resumed ends bit for bit where an
uninterrupted run with the same seed ends."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from tiny_training import brightness_splits, tiny_model

from lightnets.io import load_file
from lightnets.training import LAST, TrainConfig, train

SCRIPT = Path(__file__).with_name("tiny_training.py")
SETTINGS = dict(recipe="mobilenet", epochs=4, batch_size=16, lr=0.01, mixup_alpha=0.4, seed=7, threads=1,
                progress=False, device="cpu")
TIMINGS = ("epoch_seconds", "train_images_per_s")


def kill_after_first_checkpoint(out_dir: Path) -> int:
    """Start a run in a new process; SIGKILL it as soon as it has written an epoch."""
    config = json.dumps({**SETTINGS, "out_dir": str(out_dir)})
    proc = subprocess.Popen([sys.executable, str(SCRIPT), config], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(SCRIPT.parent)})
    log = out_dir / "metrics.jsonl"  # written after last.pth
    while proc.poll() is None:
        if log.is_file() and log.read_text().strip():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    returncode = proc.wait()
    assert returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    return load_file(out_dir / LAST)["training"]["epoch"]


def test_killed_and_resumed_equals_uninterrupted(tmp_path, pre):
    killed = tmp_path / "killed"
    saved_epoch = kill_after_first_checkpoint(killed)
    assert 1 <= saved_epoch < SETTINGS["epochs"]  # killed part-way, with epochs left to redo

    resumed = train(tiny_model(seed=123), brightness_splits(), pre, TrainConfig(out_dir=killed, **SETTINGS), resume=True)
    whole = train(tiny_model(), brightness_splits(), pre, TrainConfig(out_dir=tmp_path / "whole", **SETTINGS))

    a, b = load_file(resumed.last), load_file(whole.last)
    for key in ("state_dict",):  # the EMA, the model that is evaluated and saved
        assert a[key].keys() == b[key].keys()
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key]), key
    trained_a, trained_b = a["training"]["model"], b["training"]["model"]
    assert all(torch.equal(trained_a[k], trained_b[k]) for k in trained_a)
    assert a["training"]["ema_updates"] == b["training"]["ema_updates"]

    def untimed(history):
        return [{k: v for k, v in r.items() if k not in TIMINGS} for r in history]

    assert untimed(resumed.history) == untimed(whole.history)
    assert [json.loads(line)["epoch"] for line in (killed / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4]
