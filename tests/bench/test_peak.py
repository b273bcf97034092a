"""The matmul peaks, fp32 and int8: their statistic on given samples, the int8 multiply
against numpy's, and their per-machine cache. No test here reads a clock's value; the cache
lives in a temporary XDG_CACHE_HOME."""

import json
from importlib.metadata import version

import numpy as np
import pytest
import torch

from lightnets.bench import peak as peak_module
from lightnets.bench.peak import (Peak, best_round, cache_path, cached_peak, cpu_model, int8_matmul, machine_key,
                                  measure_peak)


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_peak_is_the_best_round_median_not_one_fast_sample_nor_the_overall_median():
    rounds = [[20.0, 21.0, 22.0],  # a busy round
              [30.0, 31.0, 29.0],  # the quietest round
              [5.0, 45.0, 6.0]]  # one fast outlier among slow samples
    peak, medians = best_round(rounds)
    assert medians == (21.0, 30.0, 6.0) and peak == 30.0
    with pytest.raises(ValueError, match="at least one round"):
        best_round([[1.0], []])


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_measure_peak_reports_the_best_of_its_rounds_and_their_spread(precision):
    p = measure_peak(threads=1, precision=precision, size=64, rounds=3, per_round=2)
    assert len(p.rounds) == 3 and p.gmacs == max(p.rounds) == p.high and p.low == min(p.rounds) > 0
    assert (p.threads, p.size, p.precision, p.cached) == (1, 64, precision, False)
    d = p.to_dict()
    assert d["low"] == p.low and d["high"] == p.high and d["rounds"] == list(p.rounds) and d["precision"] == precision


def test_the_int8_peak_times_a_uint8_by_int8_product_exactly_as_numpy_computes_it():
    rng = np.random.default_rng(1)
    # 7-bit activations, as ONNX Runtime's quantizer makes them for CPUs without VNNI (reduce_range): their AVX2
    # kernel sums each pair of uint8 x int8 products in 16 bits, which full-range pairs overflow
    a = rng.integers(0, 128, (48, 40), dtype=np.uint8)
    b = rng.integers(-128, 128, (40, 24), dtype=np.int8)
    out = int8_matmul(a, b, threads=1)()
    assert out.dtype == np.int32 and np.array_equal(out, a.astype(np.int64) @ b.astype(np.int64))
    assert np.abs(out).max() > 2**16  # beyond what 16-bit sums hold: int32 accumulation


def test_an_unknown_precision_is_named():
    with pytest.raises(ValueError, match="unknown precision 'fp16'; valid: fp32, int8"):
        measure_peak(1, precision="fp16", size=8)
    with pytest.raises(ValueError, match="unknown precision 'bf16'"):
        cached_peak(1, precision="bf16")


class FakeMeasure:
    """Stands in for measure_peak: hands out 10, 20, 30 ... GMAC/s and counts its calls."""

    def __init__(self, precision="fp32"):
        self.threads = []
        self.precision = precision

    def __call__(self, threads):
        self.threads.append(threads)
        value = 10.0 * len(self.threads)
        return Peak(value, (value - 1, value), threads, 1024, "2026-01-01T00:00:00", self.precision)


def test_the_peak_is_measured_once_per_machine_and_thread_count_then_read_back(cache_home):
    measure = FakeMeasure()
    first = cached_peak(1, measure=measure)
    assert (first.gmacs, first.cached) == (10.0, False) and measure.threads == [1]
    again = cached_peak(1, measure=measure)
    assert (again.gmacs, again.rounds, again.cached) == (10.0, (9.0, 10.0), True) and measure.threads == [1]
    two = cached_peak(2, measure=measure)
    assert (two.gmacs, two.cached) == (20.0, False) and measure.threads == [1, 2]
    assert cache_path() == cache_home / "lightnets" / "matmul_peak.json"
    stored = json.loads(cache_path().read_text())
    assert set(stored) == {machine_key(1), machine_key(2)}
    assert stored[machine_key(1)]["gmacs"] == 10.0 and stored[machine_key(2)]["threads"] == 2


def test_fp32_and_int8_peaks_are_cached_apart(cache_home):
    fp32, int8 = FakeMeasure(), FakeMeasure("int8")
    assert cached_peak(1, measure=fp32).gmacs == 10.0
    first = cached_peak(1, precision="int8", measure=int8)
    assert (first.gmacs, first.precision, first.cached) == (10.0, "int8", False)
    assert cached_peak(1, precision="int8", remeasure=True, measure=int8).gmacs == 20.0
    again = cached_peak(1, precision="int8", measure=int8)
    assert (again.gmacs, again.precision, again.cached) == (20.0, "int8", True)
    kept = cached_peak(1, measure=fp32)
    assert (kept.gmacs, kept.precision, kept.cached) == (10.0, "fp32", True)
    assert (len(fp32.threads), len(int8.threads)) == (1, 2)
    assert set(json.loads(cache_path().read_text())) == {machine_key(1), machine_key(1, precision="int8")}


def test_the_key_names_the_cpu_library_version_threads_precision_and_size():
    key = machine_key(3, 512)
    assert cpu_model() in key and f"torch {torch.__version__}" in key and "3 thread(s)" in key
    assert "fp32 512x512" in key
    int8 = machine_key(3, 512, "int8")
    assert cpu_model() in int8 and f"onnxruntime {version('onnxruntime')}" in int8 and "3 thread(s)" in int8
    assert "int8 u8s8 512x512" in int8
    assert len({machine_key(3, 512), machine_key(4, 512), machine_key(4, 1024), int8}) == 4


def test_the_default_thread_count_is_keyed_by_its_value():
    measure = FakeMeasure()
    cached_peak(None, measure=measure)
    assert measure.threads == [torch.get_num_threads()]
    assert cached_peak(torch.get_num_threads(), measure=measure).cached


def test_remeasure_replaces_the_cached_entry():
    measure = FakeMeasure()
    cached_peak(1, measure=measure)
    fresh = cached_peak(1, remeasure=True, measure=measure)
    assert (fresh.gmacs, fresh.cached) == (20.0, False)
    assert cached_peak(1, measure=measure).gmacs == 20.0 and len(measure.threads) == 2


# A hand edit, and an entry from before int8 peaks (no precision field).
OLD_ENTRIES = ({"gmacs": "fast"}, {"gmacs": 99.0, "rounds": [99.0], "threads": 1, "size": 1024, "measured_at": "then"})


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", *OLD_ENTRIES])
def test_a_damaged_or_outdated_cache_is_measured_again_and_rewritten(content):
    path = cache_path()
    path.parent.mkdir(parents=True)
    path.write_text(content if isinstance(content, str) else json.dumps({machine_key(1): content}))
    measure = FakeMeasure()
    assert cached_peak(1, measure=measure).gmacs == 10.0 and measure.threads == [1]
    assert json.loads(path.read_text())[machine_key(1)]["gmacs"] == 10.0


def test_other_machines_entries_are_kept():
    path = cache_path()
    path.parent.mkdir(parents=True)
    other = {"gmacs": 99.0, "rounds": [98.0, 99.0], "threads": 1, "size": 1024, "measured_at": "2025-01-01T00:00:00",
             "precision": "fp32"}
    path.write_text(json.dumps({"another CPU | torch 2.0 | 1 thread(s) | fp32 1024x1024": other}))
    cached_peak(1, measure=FakeMeasure())
    assert json.loads(path.read_text())["another CPU | torch 2.0 | 1 thread(s) | fp32 1024x1024"] == other


def test_an_unwritable_cache_only_costs_a_measurement(cache_home):
    cache_home.write_text("a file where the cache folder would go")
    measure = FakeMeasure()
    assert cached_peak(1, measure=measure).gmacs == 10.0
    assert cached_peak(1, measure=measure).gmacs == 20.0 and len(measure.threads) == 2


@pytest.mark.parametrize("xdg", [None, "", "relative/cache"])
def test_without_an_absolute_xdg_cache_home_the_cache_is_under_home(monkeypatch, tmp_path, xdg):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME")
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert cache_path() == tmp_path / "home" / ".cache" / "lightnets" / "matmul_peak.json"


def test_matmul_peak_gmacs_is_a_fresh_measurement(monkeypatch):
    seen = []
    monkeypatch.setattr(peak_module, "measure_peak", lambda threads, precision: seen.append((threads, precision)) or
                        Peak(5.0, (4.0, 5.0), 1, 1024, "now", precision))
    assert peak_module.matmul_peak_gmacs(1) == 5.0 and peak_module.matmul_peak_gmacs(2, "int8") == 5.0
    assert seen == [(1, "fp32"), (2, "int8")] and not cache_path().exists()
