"""Multiplier sweeps (lightnets/search/sweep.py, `lightnets sweep`): every point trained,
scored and timed, the Pareto front right, and a killed sweep continued where it stopped."""

import json

from PIL import Image

from lightnets.cli import main
from lightnets.search import sweep as sw
from lightnets.search.reward import mark_front


def tree(root):
    for split in ("train", "val"):
        for label, value in (("dark", 40), ("light", 210)):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(16):
                Image.new("RGB", (32, 32), (value + i, value, value - i)).save(folder / f"{i}.png")
    return root


def test_the_pareto_front_and_the_reward_on_known_points():
    rows = [{"latency_ms": ms, "top1": top1} for ms, top1 in ((1.0, 60.0), (2.0, 70.0), (2.5, 65.0), (3.0, 70.0),
                                                               (4.0, 75.0))]
    marked = mark_front(rows, target_ms=2.0, setting="hard")
    assert [r["pareto"] for r in marked] == [True, True, False, False, True]
    assert [r["reward"] for r in marked] == [60.0, 70.0, 65.0 * 2 / 2.5, 70.0 * 2 / 3, 75.0 / 2]
    assert mark_front(rows)[0]["reward"] is None


ARGS = ["sweep", "mobilenet_v1", "--widths", "0.25,0.5", "--resolutions", "32,40", "--epochs", "1",
        "--batch-size", "8", "--backend", "eager", "--no-progress"]


def test_a_sweep_trains_times_and_continues_where_it_stopped(tmp_path, capsys, monkeypatch):
    data, out = tree(tmp_path / "data"), tmp_path / "sweep"
    argv = [*ARGS, "--data", str(data), "--out", str(out), "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(r["width"], r["resolution"]) for r in doc["rows"]] == [(0.25, 32), (0.25, 40), (0.5, 32), (0.5, 40)]
    assert all(r["latency_ms"] > 0 and 0 <= r["top1"] <= 100 for r in doc["rows"])
    assert doc["rows"][0]["macs"] < doc["rows"][1]["macs"] < doc["rows"][3]["macs"]
    assert any(r["pareto"] for r in doc["rows"]) and (out / "sweep.png").stat().st_size > 0
    # killed after three points: the fourth is the only one trained again
    state = json.loads((out / "sweep.json").read_text())
    state["rows"] = state["rows"][:3]
    (out / "sweep.json").write_text(json.dumps(state))
    trained = []
    real_train = sw.train
    monkeypatch.setattr(sw, "train", lambda model, data, pre, config, **kw: trained.append(config.out_dir)
                        or real_train(model, data, pre, config, **kw))
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert trained == [out / "w0.5-r40"]
    assert [r["top1"] for r in again["rows"][:3]] == [r["top1"] for r in doc["rows"][:3]]
    assert main([*ARGS, "--data", str(data), "--out", str(out)]) == 0
    assert "continuing the sweep" in capsys.readouterr().out
    # fine-tuning every point from a checkpoint: a resolution sweep at its width
    source = doc["rows"][0]["checkpoint"]
    tuned = [*ARGS[:3], "0.25", *ARGS[4:], "--data", str(data), "--init-from", source, "--json"]
    assert main([*tuned, "--out", str(tmp_path / "tuned")]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["width"], r["resolution"]) for r in rows] == [(0.25, 32), (0.25, 40)]
    assert main([*ARGS, "--data", str(data), "--init-from", source, "--out", str(tmp_path / "t2")]) == 2
    assert "whose weights fit no other width (0.5)" in capsys.readouterr().err


def test_sweep_errors(tmp_path, capsys):
    data, out = tree(tmp_path / "data"), tmp_path / "sweep"
    (out).mkdir()
    (out / "sweep.json").write_text(json.dumps({"settings": {"model": "mobilenet_v2"}, "rows": []}))
    assert main([*ARGS, "--data", str(data), "--out", str(out)]) == 2
    assert "holds a sweep with other settings" in capsys.readouterr().err
    assert main([*ARGS[:-5], "--backend", "tflite", "--data", str(data)]) == 2
    assert "backend 'tflite' is not available" in capsys.readouterr().err
