import json

import pytest

from lightnets.bench.peak import cache_path, machine_key
from lightnets.cli import main


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """bench caches the machine's matmul peak: here, in a temporary folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_every_model_with_params_and_macs(capsys):
    code, out, _ = run(capsys, "models", "--json")
    rows = {r["name"]: r for r in json.loads(out)["models"]}
    assert code == 0 and rows["mobilenet_v2"]["params"] == 3_504_872 and rows["mobilenet_v2"]["macs"] == 300_774_272
    code, out, _ = run(capsys, "models")
    assert "mobilenet_v3_small" in out and "PyTorch convention" in out


def test_profile_by_kind_reproduces_table_2(capsys):
    code, out, _ = run(capsys, "profile", "mobilenet_v1", "--by-kind", "--convention", "conv_fc_weights")
    assert code == 0
    assert "568,740,352" in out and "FLOPs = 2 x MACs" in out
    line = next(l for l in out.splitlines() if l.startswith("Conv 1x1"))
    assert "94.86" in line and "74.59" in line


def test_profile_per_layer_json(capsys):
    code, out, _ = run(capsys, "profile", "mobilenet_v3_small", "--per-layer", "--json", "--resolution", "160")
    d = json.loads(out)
    assert code == 0 and d["input_shape"] == [1, 3, 160, 160]
    assert d["layers"][0]["name"] == "stem.conv" and sum(l["macs"] for l in d["layers"]) == d["macs"]


def test_grid_is_the_width_by_resolution_table(capsys):
    code, out, _ = run(capsys, "grid", "mobilenet_v1", "--widths", "1,0.5", "--resolutions", "224,128", "--json")
    cells = {(c["width"], c["resolution"]): c["macs"] for c in json.loads(out)["cells"]}
    assert code == 0 and round(cells[1.0, 224] / 1e6) == 569 and round(cells[1.0, 128] / 1e6) == 186
    assert round(cells[0.5, 224] / 1e6) == 149
    code, out, _ = run(capsys, "grid", "mobilenet_v1")
    assert "MACs@160 (M)" in out and "325.4" in out  # 0.75 x 224, paper Table 6


def test_conv_cost_worked_example(capsys):
    code, out, _ = run(capsys, "conv-cost", "--input", "5x5x3", "--out", "4", "--kernel", "3")
    assert code == 0
    assert "2,700" in out and "975" in out and "108" in out and "39" in out
    assert "1/4 + 1/9 = 0.3611" in out
    code, out, _ = run(capsys, "conv-cost", "--input", "5x5x3", "--out", "4", "--json")
    d = json.loads(out)
    assert d["separable"] == {"params": 39, "macs": 975} and d["ratio"] == pytest.approx(975 / 2700)


def test_bench_reports_latency_and_gmacs_against_the_matmul_peak(capsys):
    code, out, _ = run(capsys, "bench", "mobilenet_v3_small", "--resolution", "96", "--runs", "3", "--warmup", "1",
                       "--threads", "1", "--json", "--per-layer")
    d = json.loads(out)
    (eager,) = d["backends"]
    assert code == 0 and eager["backend"] == "eager" and eager["threads"] == 1
    assert 0 < eager["median_ms"] <= eager["p90_ms"]
    assert eager["gmac_per_s"] == pytest.approx(d["macs"] / eager["median_ms"] / 1e6)
    assert eager["peak_share"] == pytest.approx(eager["gmac_per_s"] / d["matmul_peak_gmac_per_s"])
    peak = d["matmul_peak"]
    assert peak["gmacs"] == d["matmul_peak_gmac_per_s"] == max(peak["rounds"]) == peak["high"]
    assert peak["low"] == min(peak["rounds"]) and peak["threads"] == 1 and not peak["cached"]
    kinds = {k["kind"]: k for k in d["per_layer"]}
    assert {"conv_1x1", "conv_dw", "se"} <= kinds.keys()
    assert sum(k["time_share"] for k in kinds.values()) == pytest.approx(1.0)
    assert sum(k["macs_share"] for k in kinds.values()) == pytest.approx(1.0)


def test_bench_backends_and_zoo_plot(capsys, tmp_path):
    code, out, _ = run(capsys, "bench", "mobilenet_v3_small", "--resolution", "64", "--runs", "2", "--warmup", "1",
                       "--backends", "all", "--json")
    assert code == 0
    from lightnets.bench.backends import available_backends

    assert [b["backend"] for b in json.loads(out)["backends"]] == list(available_backends())
    png = tmp_path / "zoo.png"
    code, out, _ = run(capsys, "bench", "--zoo-png", str(png), "--resolution", "64", "--runs", "2", "--warmup", "1")
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG" and "mobilenet_v3_small" in out


def test_report_without_latency(capsys):
    code, out, _ = run(capsys, "report", "--no-latency")
    assert code == 0 and "103/103 rows as expected" in out


@pytest.mark.parametrize("argv, message", [
    (["profile", "mobilenet_v5"], "unknown model 'mobilenet_v5'; did you mean"),
    (["profile", "mobilenet_v2", "--width", "0"], "width must be > 0"),
    (["profile", "mobilenet_v2", "--resolution", "16"], "resolution must be an integer >= the total stride 32"),
    (["profile", "mobilenet_v2", "--width", "inf"], "width must be > 0 and at most 10"),
    (["profile", "mobilenet_v2", "--width", "1e-9"], "the smallest width that does is just above 0.0277778"),
    (["bench", "mobilenet_v2", "--width", "1000"], "width must be > 0 and at most 10"),
    (["grid", "mobilenet_v1", "--widths", "1,1000"], "width must be > 0 and at most 10"),
    (["profile", "mobilenet_v2", "--resolution", "100000"], "resolution must be an integer from the network's total "
                                                             "stride up to 2048"),
    (["bench", "mobilenet_v2", "--resolution", "100000"], "up to 2048"),
    (["bench", "mobilenet_v2", "--threads", "0"], "threads must be an integer >= 1, got 0"),
    (["bench", "mobilenet_v2", "--backends", "tflite"], "unknown backend(s) tflite"),
    (["bench"], "give a model name, or --zoo-png FILE"),
    (["grid", "mobilenet_v1", "--widths", "1,a"], "--widths must be a comma-separated list of floats"),
    (["conv-cost", "--input", "5x5", "--out", "4"], "--input must look like HxWxC"),
    (["models", "resnet*"], "no model matches 'resnet*'"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_bench_divides_by_the_cached_peak_and_prints_its_spread(capsys):
    cache_path().parent.mkdir(parents=True)
    cache_path().write_text(json.dumps({machine_key(1): {
        "gmacs": 40.0, "rounds": [31.5, 40.0, 38.0], "threads": 1, "size": 1024, "measured_at": "2026-01-02T03:04:05"}}))
    argv = ["bench", "mobilenet_v3_small", "--resolution", "64", "--runs", "2", "--warmup", "0", "--threads", "1",
            "--no-progress"]
    code, out, err = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert code == 0 and d["matmul_peak_gmac_per_s"] == 40.0 and d["matmul_peak"]["cached"] and err == ""
    (eager,) = d["backends"]
    assert eager["peak_share"] == pytest.approx(d["macs"] / eager["median_ms"] / 1e6 / 40.0)
    code, out, _ = run(capsys, *argv)
    assert "matmul peak 40.0 GMAC/s (best of 3 rounds, which spread 31.5-40.0; cached from 2026-01-02T03:04:05" in out
    code, out, _ = run(capsys, *argv, "--json", "--remeasure-peak")
    remeasured = json.loads(out)["matmul_peak"]
    assert not remeasured["cached"] and len(remeasured["rounds"]) == 7 and remeasured["measured_at"] != "2026-01-02T03:04:05"
    assert json.loads(cache_path().read_text())[machine_key(1)]["measured_at"] == remeasured["measured_at"]


def test_bench_shows_progress_on_stderr_unless_told_not_to(capsys):
    argv = ["bench", "mobilenet_v3_small", "--resolution", "64", "--runs", "1", "--warmup", "0", "--threads", "1",
            "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and "matmul peak" in err and "bench" in err and "round 3/3: eager" in err
    json.loads(out)  # stdout holds the results alone
    code, out, err = run(capsys, *argv, "--no-progress")
    assert code == 0 and err == ""
