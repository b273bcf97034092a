"""Two processes (torchrun, gloo on this CPU) train the model one process trains with the
same global batch; BatchNorm running statistics agree across processes before evaluation."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from tiny_training import brightness_splits, tiny_model
from torch import nn

from lightnets.io import load_file
from lightnets.training import TrainConfig, train
from lightnets.training.distributed import average_bn_stats

SCRIPT = Path(__file__).with_name("tiny_training.py")
# BatchNorm frozen, with statistics measured beforehand as a pretrained model has them: each
# process would otherwise normalise with the statistics of its own half-batch (SyncBatchNorm
# does not run on CPU), and the runs would differ by design. float64: the two runs sum the
# same gradients in a different order, and training amplifies that rounding difference
# (a ReLU or hard-swish kink crossed in one run and not the other); in float32 it grows to
# the size of the updates themselves within a few dozen steps, in float64 it stays ~1e-8.
SETTINGS = dict(recipe="mobilenet", epochs=2, batch_size=16, lr=0.001, freeze_bn=True, seed=5, threads=1,
                progress=False, device="cpu")  # gloo; this test is about CPUs
SETUP = dict(calibrated=True, float64=True)


def test_two_processes_train_what_one_process_trains(tmp_path, pre):
    two = tmp_path / "two"
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(SCRIPT),
         json.dumps({**SETTINGS, "out_dir": str(two)}), json.dumps(SETUP)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes, global batch 16 (8 each)" in done.stdout
    assert done.stdout.count("epoch 2/2") == 1  # only rank 0 speaks

    f64 = torch.float64
    one = train(tiny_model(calibrated=True, dtype=f64), brightness_splits(dtype=f64), pre,
                TrainConfig(out_dir=tmp_path / "one", **SETTINGS), say=lambda _: None)
    assert one.best_score > 80  # it learned

    a, b = load_file(two / "last.pth"), load_file(one.last)
    initial = tiny_model(calibrated=True, dtype=f64).state_dict()
    trained_two, trained_one = a["training"]["model"], b["training"]["model"]
    moved = max((trained_one[k] - initial[k]).abs().max().item() for k in initial if initial[k].is_floating_point())
    assert moved > 1e-2  # training moved the weights, so agreeing is not trivial
    for two_state, one_state in ((trained_two, trained_one), (a["state_dict"], b["state_dict"])):  # weights, EMA
        assert two_state.keys() == one_state.keys()
        for key, value in one_state.items():
            torch.testing.assert_close(two_state[key], value, rtol=1e-6, atol=1e-6, msg=key)
    for r2, r1 in zip(a["training"]["history"], one.history, strict=True):
        assert r2["val_top1"] == r1["val_top1"]  # the val set is split over ranks and the counts summed
        assert r2["val_loss"] == pytest.approx(r1["val_loss"], rel=1e-6)
        assert r2["train_loss"] == pytest.approx(r1["train_loss"], rel=1e-6)


def _average_in_process(rank: int, store: str, results: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    bn = nn.BatchNorm2d(3)
    bn.running_mean.fill_(float(rank))  # rank 0: 0, rank 1: 1
    bn.running_var.fill_(1.0 + 2 * rank)  # rank 0: 1, rank 1: 3
    average_bn_stats(nn.Sequential(bn))
    torch.save({"mean": bn.running_mean, "var": bn.running_var}, f"{results}.{rank}")
    dist.destroy_process_group()


def test_batchnorm_running_statistics_are_averaged_over_processes(tmp_path):
    mp.spawn(_average_in_process, args=(str(tmp_path / "store"), str(tmp_path / "bn")), nprocs=2)
    for rank in (0, 1):
        stats = torch.load(tmp_path / f"bn.{rank}", weights_only=True)
        assert torch.equal(stats["mean"], torch.full((3,), 0.5)) and torch.equal(stats["var"], torch.full((3,), 2.0))
