"""NetAdapt (lightnets/search/netadapt.py): narrowed to a target, one checkpoint per
iteration, the same trajectory after a resume, and the bad inputs refused.

The latency is the network's multiply-adds (1 ms per million) in most tests, so that the
trajectory is exact on a noisy machine (conftest.py); test_latency_table.py times for real."""

import json

import pytest
import torch

from lightnets import create_model, profile
from lightnets.checkpoint import load_checkpoint
from lightnets.data import DataError, Preprocessing, open_data
from lightnets.io import CheckpointError
from lightnets.search import netadapt as na
from lightnets.search import open_table
from lightnets.search.netadapt import NetAdaptConfig, TargetError, candidate_widths, choose_width, netadapt
from lightnets.search.pruning import width_groups

PRE = Preprocessing.cifar(32)


@pytest.fixture(scope="module")
def sample():
    return open_data("sample", pre=PRE)


def tiny():
    torch.manual_seed(0)
    return create_model("mobilenet_v1", width=0.25, num_classes=10).eval()


def config(out, **kwargs):
    settings = dict(target_ratio=0.8, backend="eager", initial_reduction=0.1, short_steps=2, batch_size=16,
                    held_out=0.02, long_epochs=0, progress=False)
    return NetAdaptConfig(out, **{**settings, **kwargs})


def run(out, sample, **kwargs):
    c = config(out, **kwargs)
    return netadapt(tiny(), sample, PRE, c, open_table("eager", c.threads, 1), say=lambda _: None)


def test_candidate_widths_are_multiples_of_the_step():
    assert candidate_widths(24, 8) == [16, 8] and candidate_widths(20, 8) == [16, 8]
    assert candidate_widths(8, 8) == [] and candidate_widths(5, 2) == [4, 2]


def test_choose_width_finds_the_widest_within_the_limit():
    model = tiny()
    group = width_groups(model)[-1]  # blocks[12]: 256 channels
    asked = []

    def predict(config):
        width = config["widths"]["blocks"][12]
        asked.append(width)
        return width / 10

    assert choose_width(model, group, 12.1, 8, predict) == (120, 12.0)
    assert len(asked) <= 1 + 5  # the narrowest, then bisection over 31 widths
    assert choose_width(model, group, 0.5, 8, predict) is None


def test_netadapt_meets_the_target_and_the_result_reloads(tmp_path, sample, macs_latency):
    result = run(tmp_path / "na", sample)
    start = profile(tiny(), 32).macs / 1e6
    assert result.target_ms == pytest.approx(0.8 * start)
    assert result.iterations and result.iterations[-1]["measured_ms"] <= result.target_ms
    assert all(r["predicted_ms"] <= r["limit_ms"] for r in result.iterations)
    # each iteration narrows one group and is a checkpoint of its own
    for before, r in zip([result.start, *result.iterations], result.iterations):
        changed = [k for k in r["widths"] if r["widths"][k] != before["widths"][k]]
        assert len(changed) == 1 and r["to"] < r["from"]
        model, extra = load_checkpoint(tmp_path / "na" / r["checkpoint"])
        assert model.widths == r["widths"] and extra["netadapt"]["iteration"] == r["iteration"]
    final, extra = load_checkpoint(result.final)
    assert final.widths == result.iterations[-1]["widths"] and extra["classes"] == sample.classes
    assert profile(final, 32).macs / 1e6 <= result.target_ms
    doc = json.loads((tmp_path / "na" / na.STATE).read_text())
    assert [r["widths"] for r in doc["iterations"]] == [r["widths"] for r in result.iterations]
    assert result.trajectory.stat().st_size > 0


def test_a_killed_run_resumes_along_the_same_trajectory(tmp_path, sample, macs_latency):
    whole = run(tmp_path / "whole", sample)
    assert len(whole.iterations) >= 2
    with pytest.raises(TargetError, match="max_iterations 1 reached"):
        run(tmp_path / "cut", sample, max_iterations=1)
    c = config(tmp_path / "cut")
    resumed = netadapt(tiny(), sample, PRE, c, open_table("eager", 1, 1), resume=True, say=lambda _: None)
    assert [r["widths"] for r in resumed.iterations] == [r["widths"] for r in whole.iterations]
    assert [r["top1"] for r in resumed.iterations] == [r["top1"] for r in whole.iterations]
    with pytest.raises(CheckpointError, match="other settings"):
        netadapt(tiny(), sample, PRE, config(tmp_path / "cut", step=4), open_table("eager", 1, 1), resume=True)
    with pytest.raises(CheckpointError, match="already holds a NetAdapt run"):
        run(tmp_path / "cut", sample)


def test_a_target_already_met_stops_at_once(tmp_path, sample, macs_latency):
    result = run(tmp_path / "na", sample, target_ratio=None, target_ms=1e6)
    assert result.stopped == "target already met" and result.final is None and not (tmp_path / "na").exists()


def test_a_target_below_the_floor_names_the_floor(tmp_path, sample, macs_latency):
    floor = profile(create_model("mobilenet_v1", num_classes=10, widths={"stem": 8, "blocks": [8] * 13}), 32).macs
    with pytest.raises(TargetError, match=f"below the floor.*predicts {floor / 1e6:.3f} ms"):
        run(tmp_path / "na", sample, target_ratio=0.05)


def test_bad_inputs_are_refused(tmp_path, sample):
    with pytest.raises(DataError, match="at least 5 per class.*at least 5000 training images per class"):
        run(tmp_path / "na", sample, held_out=0.001)
    c = config(tmp_path / "na")
    with pytest.raises(ValueError, match="resnet18 has no per-layer widths"):
        netadapt(create_model("resnet18", num_classes=10), sample, PRE, c, open_table("eager", 1, 1))
    with pytest.raises(ValueError, match="exactly one target"):
        NetAdaptConfig(tmp_path, target_ms=1.0, target_ratio=0.5)
    with pytest.raises(ValueError, match="target_ratio must be a number above 0 and below 1"):
        NetAdaptConfig(tmp_path, target_ratio=1.5)
    with pytest.raises(ValueError, match="the table is for eager at 2 thread"):
        netadapt(tiny(), sample, PRE, c, open_table("eager", 2, 1))
    with pytest.raises(CheckpointError, match="no NetAdapt run to resume"):
        netadapt(tiny(), sample, PRE, c, open_table("eager", 1, 1), resume=True)
