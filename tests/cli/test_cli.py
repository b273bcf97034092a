import json

import pytest

from lightnets.bench import backends as backends_module, peak as peak_module
from lightnets.bench.latency import LatencyResult
from lightnets.bench.peak import Peak, cache_path, machine_key
from lightnets.cli import main
from lightnets import create_model, profile
from lightnets.models import list_models


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """bench caches the machine's matmul peak: here, in a temporary folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_the_models_a_pattern_matches_with_params_and_macs(capsys):
    code, out, _ = run(capsys, "models", "*net_v2", "--json")  # `lightnets models` lists every one, each counted
    rows = {r["name"]: r for r in json.loads(out)["models"]}
    assert code == 0 and rows["mobilenet_v2"]["params"] == 3_504_872 and rows["mobilenet_v2"]["macs"] == 300_774_272
    assert list(rows) == list_models("*net_v2")
    code, out, _ = run(capsys, "models", "lenet5")
    assert "lenet5" in out and "PyTorch convention" in out and " 32 " in out  # at its own 32x32 input


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
    assert code == 0 and eager["backend"] == "eager" and eager["threads"] == 1 and eager["precision"] == "fp32"
    assert 0 < eager["median_ms"] <= eager["p90_ms"]
    assert eager["gmac_per_s"] == pytest.approx(d["macs"] / eager["median_ms"] / 1e6)
    fp32 = d["peaks"]["fp32"]
    assert eager["peak_share"] == pytest.approx(eager["gmac_per_s"] / fp32["gmacs"])
    for precision, peak in d["peaks"].items():  # both measured now, though only fp32 is used here
        assert peak["precision"] == precision and peak["gmacs"] == max(peak["rounds"]) == peak["high"]
        assert peak["low"] == min(peak["rounds"]) and peak["threads"] == 1 and not peak["cached"]
        assert len(peak["rounds"]) == 7
    kinds = {k["kind"]: k for k in d["per_layer"]}
    assert {"conv_1x1", "conv_dw", "se"} <= kinds.keys()
    assert sum(k["time_share"] for k in kinds.values()) == pytest.approx(1.0)
    assert sum(k["macs_share"] for k in kinds.values()) == pytest.approx(1.0)


def test_bench_runs_every_backend_each_against_the_peak_of_its_precision(capsys):
    """The backends' machinery (two exports, two int8 quantizations, two runtimes) on one of the
    zoo's shortest graphs, Network in Network (nine convs) at width 0.25 and 32x32: what it
    costs to export grows with the layers, not the widths. The full-size runs are in
    benchmarks/latency.py."""
    code, out, _ = run(capsys, "bench", "nin", "--width", "0.25", "--resolution", "32",
                       "--num-classes", "10", "--runs", "1", "--warmup", "0", "--threads", "1", "--backends", "all",
                       "--no-progress", "--json")
    assert code == 0
    d = json.loads(out)
    rows = d["backends"]
    assert [r["backend"] for r in rows] == list(backends_module.available_backends())
    for r in rows:
        assert r["precision"] == ("int8" if r["backend"].endswith("int8") else "fp32")
        assert r["peak_share"] == pytest.approx(r["gmac_per_s"] / d["peaks"][r["precision"]]["gmacs"])
        # within a factor of 2 of the peak: the peak is measured while the suite's other worker runs, and one such
        # run put a backend at 1.04x of it; a wrong unit would be off by 1000
        assert 0 < r["peak_share"] < 2


FAKE_PEAKS = {"fp32": Peak(40.0, (31.5, 40.0, 38.0), 1, 1024, "2026-01-02T03:04:05", "fp32", cached=True),
              "int8": Peak(160.0, (150.0, 160.0), 1, 1024, "2026-01-02T03:04:06", "int8", cached=True)}


@pytest.fixture
def fake_timings(monkeypatch):
    """Peaks of 40 (fp32) and 160 GMAC/s (int8), and backends timed so that every one of them
    runs at 100 GMAC/s: 250% of the fp32 peak, 62.5% of the int8 one."""
    monkeypatch.setattr(peak_module, "cached_peak", lambda threads, precision="fp32", **_: FAKE_PEAKS[precision])

    def compare(model, size, names, **_):
        from lightnets import profile

        ms = profile(model, size).macs / 100e6
        return {n: LatencyResult(1, 1, 0, 1, ms, ms, ms) for n in names}

    monkeypatch.setattr(backends_module, "compare_backends", compare)


def test_bench_divides_int8_backends_by_the_int8_peak_and_fp32_ones_by_the_fp32_peak(capsys, fake_timings):
    argv = ["bench", "mobilenet_v3_small", "--resolution", "64", "--backends", "eager,ort-fp32,ort-int8,executorch-int8"]
    code, out, _ = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert code == 0 and {p: d["peaks"][p]["gmacs"] for p in ("fp32", "int8")} == {"fp32": 40.0, "int8": 160.0}
    shares = {r["backend"]: (r["precision"], r["gmac_per_s"], r["peak_share"], r["floor_ms"]) for r in d["backends"]}
    floor_fp32, floor_int8 = d["macs"] / 40e6, d["macs"] / 160e6
    assert shares == {"eager": ("fp32", pytest.approx(100.0), pytest.approx(2.5), pytest.approx(floor_fp32)),
                      "ort-fp32": ("fp32", pytest.approx(100.0), pytest.approx(2.5), pytest.approx(floor_fp32)),
                      "ort-int8": ("int8", pytest.approx(100.0), pytest.approx(0.625), pytest.approx(floor_int8)),
                      "executorch-int8": ("int8", pytest.approx(100.0), pytest.approx(0.625),
                                          pytest.approx(floor_int8))}
    code, out, _ = run(capsys, *argv)
    assert ("matmul peaks: fp32 (PyTorch) 40.0 GMAC/s (best of 3 rounds, which spread 31.5-40.0; cached from "
            "2026-01-02T03:04:05; --remeasure-peak to renew); int8 u8s8 (ONNX Runtime) 160.0 GMAC/s (best of 2 "
            "rounds, which spread 150.0-160.0; cached from 2026-01-02T03:04:06") in out
    table = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("eager", "ort", "exec"))}
    assert table["ort-int8"][3:5] == ["int8", "62.50"] and table["eager"][3:5] == ["fp32", "250.00"]


def test_bench_without_onnx_runtime_leaves_int8_shares_unset(capsys, fake_timings, monkeypatch):
    monkeypatch.setattr(peak_module, "int8_available", lambda: False)
    argv = ["bench", "mobilenet_v3_small", "--resolution", "64", "--backends", "eager,executorch-int8"]
    code, out, _ = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert code == 0 and d["peaks"]["int8"] is None and d["peaks"]["fp32"]["gmacs"] == 40.0
    assert [(r["backend"], r["peak_share"], r["floor_ms"]) for r in d["backends"]][1] == ("executorch-int8", None, None)
    code, out, _ = run(capsys, *argv)
    assert "int8 not measured (needs ONNX Runtime: pip install lightnets[deploy])" in out


def test_zoo_plot_times_the_models_a_pattern_names_and_plots_them(capsys, tmp_path):
    png = tmp_path / "zoo.png"
    argv = ["zoo-plot", "mobilenet_v3_small*", "--out", str(png), "--resolution", "32", "--runs", "1", "--warmup", "0",
            "--threads", "1", "--no-progress"]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plot: {png}" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("mobilenet")] == \
        ["mobilenet_v3_small", "mobilenet_v3_small_minimal"]
    code, out, _ = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert code == 0 and d["plot"] == str(png) and d["threads"] == 1 and d["resolution"] == 32
    assert [m["model"] for m in d["models"]] == list_models("mobilenet_v3_small*")
    assert [m["macs"] for m in d["models"]] == [profile(create_model(n), 32).macs for n in list_models("mobilenet_v3_small*")]
    assert all(0 < m["median_ms"] <= m["p90_ms"] for m in d["models"])


@pytest.mark.parametrize("argv, message", [
    (["zoo-plot", "--out", "zoo.jpg"], "--out zoo.jpg must end in .png"),
    (["zoo-plot", "no_such_net*", "--out", "zoo.png"], "no model matches 'no_such_net*'"),
    (["zoo-plot", "--out", "zoo.png", "--runs", "0"], "need --batch-size >= 1, --runs >= 1"),
    (["zoo-plot", "--out", "zoo.png", "--threads", "0"], "threads must be an integer >= 1, got 0"),
])
def test_zoo_plot_bad_input_is_refused_before_any_work(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_bench_leaves_the_zoo_to_zoo_plot(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", "--zoo-png", "zoo.png"])
    assert e.value.code == 2 and "unrecognized arguments: --zoo-png" in capsys.readouterr().err


def test_bench_needs_a_model(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "the following arguments are required: MODEL" in err and "Traceback" not in err


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
    (["grid", "mobilenet_v1", "--widths", "1,a"], "--widths must be a comma-separated list of floats"),
    (["conv-cost", "--input", "5x5", "--out", "4"], "--input must look like HxWxC"),
    (["models", "no_such_net*"], "no model matches 'no_such_net*'"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_bench_divides_by_the_cached_peak_and_prints_its_spread(capsys):
    cache_path().parent.mkdir(parents=True)
    cache_path().write_text(json.dumps({machine_key(1): {
        "gmacs": 40.0, "rounds": [31.5, 40.0, 38.0], "threads": 1, "size": 1024, "measured_at": "2026-01-02T03:04:05",
        "precision": "fp32"}}))
    argv = ["bench", "mobilenet_v3_small", "--resolution", "64", "--runs", "2", "--warmup", "0", "--threads", "1",
            "--no-progress"]
    code, out, err = run(capsys, *argv, "--json")
    d = json.loads(out)
    assert code == 0 and d["peaks"]["fp32"]["gmacs"] == 40.0 and d["peaks"]["fp32"]["cached"] and err == ""
    assert not d["peaks"]["int8"]["cached"]  # not in the cache yet: measured now, and cached
    (eager,) = d["backends"]
    assert eager["peak_share"] == pytest.approx(d["macs"] / eager["median_ms"] / 1e6 / 40.0)
    code, out, _ = run(capsys, *argv)
    assert "fp32 (PyTorch) 40.0 GMAC/s (best of 3 rounds, which spread 31.5-40.0; cached from 2026-01-02T03:04:05" in out
    assert f"int8 u8s8 (ONNX Runtime) {d['peaks']['int8']['gmacs']:.1f} GMAC/s" in out
    code, out, _ = run(capsys, *argv, "--json", "--remeasure-peak")
    remeasured = json.loads(out)["peaks"]
    stored = json.loads(cache_path().read_text())
    for precision in ("fp32", "int8"):
        fresh = remeasured[precision]
        assert not fresh["cached"] and len(fresh["rounds"]) == 7 and fresh["rounds"] != d["peaks"][precision]["rounds"]
        assert stored[machine_key(1, precision=precision)]["rounds"] == fresh["rounds"]


def test_bench_shows_progress_on_stderr_unless_told_not_to(capsys):
    argv = ["bench", "mobilenet_v3_small", "--resolution", "64", "--runs", "1", "--warmup", "0", "--threads", "1",
            "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and "fp32 matmul peak" in err and "int8 matmul peak" in err and "round 3/3: eager" in err
    json.loads(out)  # stdout holds the results alone
    code, out, err = run(capsys, *argv, "--no-progress")
    assert code == 0 and err == ""
