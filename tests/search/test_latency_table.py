"""Latency lookup tables (lightnets/search/latency_table.py): units read from what runs,
measured once per machine and runtime, reused, and summed into a prediction."""

import json

import pytest
import torch

from lightnets import create_model
from lightnets.bench.latency import measure_latency
from lightnets.cli import main
from lightnets.search import build_table, network_units, open_table, predict_latency
from lightnets.search import latency_table as lt


def tiny():
    torch.manual_seed(0)
    return create_model("mobilenet_v1", width=0.25, num_classes=10).eval()


def test_units_are_what_runs_and_repeated_blocks_share_a_key():
    with torch.device("meta"):
        model = create_model("mobilenet_v1")
    units, modules = network_units(model, 224)
    assert [u.name for u in units] == ["stem", *[f"stages.{i}.{j}" for i, n in enumerate((1, 2, 2, 6, 2))
                                                 for j in range(n)], "head"]
    assert units[0].input_shape == (1, 3, 224, 224) and units[-1].input_shape == (1, 1024, 7, 7)
    # the five 14x14x512 separable layers are one unit measured once
    assert len({u.key for u in units[7:12]}) == 1 and len({u.key for u in units}) == 11
    assert modules["stages.3.1"] is model.stages[3][1]


def test_a_network_whose_cells_take_two_maps_has_no_table_and_says_why():
    with torch.device("meta"):
        model = create_model("nasnet_a_mobile")
    with pytest.raises(ValueError, match=r"stages.0.0 \(NasNetCell\) takes 2 \(a NASNet cell reads the two cells "
                                         r"before it\), so this network has no table"):
        network_units(model, 224)


def test_a_table_is_measured_once_then_reused(cache_home, monkeypatch):
    model = tiny()
    table, units, measured = build_table(model, 32, "eager", warmup=1, runs=3)
    assert measured == len({u.key for u in units}) == 11 and table.overhead_ms > 0
    doc = json.loads(table.path.read_text())
    assert table.path.parent == cache_home / "lightnets" / "latency"
    assert doc["identity"]["backend"] == "eager" and doc["identity"]["threads"] == 1
    assert doc["identity"]["versions"] == {"torch": torch.__version__} and len(doc["units"]) == 11

    def no_measuring(*args, **kwargs):
        raise AssertionError("a cached unit was measured again")

    monkeypatch.setattr(lt, "_measure", no_measuring)
    again, _, measured = build_table(model, 32, "eager")
    assert measured == 0 and again.units == table.units
    wider = create_model("mobilenet_v1", width=0.5, num_classes=10)
    with pytest.raises(AssertionError, match="measured again"):  # new units are measured, the rest reused
        build_table(wider, 32, "eager")


def test_the_prediction_is_the_overhead_plus_each_unit_less_it():
    model = tiny()
    table = open_table("eager")
    units, _ = network_units(model, 32)
    table.overhead_ms = 0.05
    for i, unit in enumerate(units):
        table.units[unit.key] = {"ms": 0.05 + 0.01 * i}
    prediction = predict_latency(model, 32, table)
    repeated = [0.05 + 0.01 * max(i for i, v in enumerate(units) if v.key == u.key) for u in units]
    assert prediction.total_ms == pytest.approx(0.05 + sum(ms - 0.05 for ms in repeated))
    with pytest.raises(ValueError, match=r"unit\(s\) of this network at 64x64 are not in the eager table"):
        predict_latency(model, 64, table)


def test_a_prediction_is_near_the_measured_network():
    model = create_model("mobilenet_v3_small", width=0.5, num_classes=10).eval()
    table, _, _ = build_table(model, 96, "eager", warmup=3, runs=15)
    measured = measure_latency(model, (1, 3, 96, 96), threads=1, warmup=3, runs=15).median_ms
    assert 0.4 < predict_latency(model, 96, table).total_ms / measured < 2.5


def test_a_table_from_another_machine_or_runtime_is_rebuilt():
    table = open_table("eager")
    table.overhead_ms = 0.1
    table.identity = {**table.identity, "cpu": "another CPU"}
    table.save()
    fresh = open_table("eager")
    assert fresh.units == {} and fresh.overhead_ms is None
    assert "another cpu" in fresh.note.lower() and "rebuilding it" in fresh.note
    fresh.path.write_text("{not json")
    assert "unreadable" in open_table("eager").note


def test_bad_backends_threads_and_batches_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="unknown backend 'tpu'; valid: eager, eager-folded-cl, ort-fp32"):
        open_table("tpu")
    with pytest.raises(ValueError, match="threads must be an integer >= 1, got 0"):
        open_table("eager", threads=0)
    monkeypatch.setattr(lt, "available_backends", lambda: ("eager", "ort-fp32"))
    with pytest.raises(ValueError, match="backend executorch-int8 is not installed here"):
        open_table("executorch-int8")


def test_an_onnx_runtime_table_measures_each_unit_exported_alone():
    model = create_model("mobilenet_v1", width=0.25, shallow=True, num_classes=10).eval()
    table, units, measured = build_table(model, 32, "ort-fp32", warmup=1, runs=3)
    assert measured == len({u.key for u in units}) and set(table.identity["versions"]) == {"torch", "onnx",
                                                                                               "onnxruntime"}
    prediction = predict_latency(model, 32, table)
    # at least the overhead: on a busy machine the overhead's own measurement can exceed every unit's of this tiny net
    assert prediction.total_ms >= table.overhead_ms > 0 and all(ms > 0 for _, ms in prediction.units)


def test_the_commands_build_the_table_and_predict(capsys):
    args = ["mobilenet_v1", "--width", "0.25", "--resolution", "32", "--runs", "3", "--warmup", "1",
            "--threads", "1", "--no-progress", "--json"]
    assert main(["latency-table", *args, "--backend", "eager"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["measured_now"] == 11 and len(doc["units"]) == 15 and doc["total_ms"] > 0
    assert main(["bench", *args, "--predict"]) == 0
    row = json.loads(capsys.readouterr().out)["backends"][0]
    assert row["backend"] == "eager" and row["predicted_ms"] == pytest.approx(doc["total_ms"])
    assert row["predicted_error"] == pytest.approx(row["predicted_ms"] / row["median_ms"] - 1)
