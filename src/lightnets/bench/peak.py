"""This machine's measured matrix-multiply peaks, fp32 and int8: the ceilings any
convolution of that precision can reach.

A large matrix multiply is the most efficient work a CPU does; its multiply-adds per second
bound what a network's MACs can achieve, so ``MACs / peak`` is the physical lower limit of a
model's latency on this machine and threads. int8 kernels do several multiply-adds per
instruction where fp32 does one (AVX-512 VNNI: four), so an int8 network is held to the int8
peak and an fp32 one to the fp32 peak; dividing int8 by the fp32 peak gives shares above
100%. The fp32 peak is PyTorch's ``a @ b``; the int8 peak is ONNX Runtime's ``MatMulInteger``
with uint8 activations and a constant int8 weight matrix (MLAS's u8s8 GEMM, the kernel behind
ONNX Runtime's quantized convolutions and matmuls, prepacked as their weights are), int32
out. On a CPU with AMX (``amx_int8``) MLAS multiplies on its tiles, and the int8 peak is
theirs: on a shared two-core Xeon with AMX it measured 303 GMAC/s on one thread, against
46.5 for fp32.

The statistic is the best of several rounds' medians. Each round times a few consecutive
multiplies and keeps their median, the rate sustained through the round (one sample alone
is one draw of timer and scheduler noise). Other processes can only slow a multiply down,
never speed it up, so on a shared machine the least disturbed round is the nearest to what
the hardware does; the median over all samples would measure the machine's load instead
(on a busy two-core machine it moved between 20.6 and 38.5 GMAC/s from run to run). The
spread of the round medians (lowest to highest) is reported next to the peak: a wide one
says the machine was busy while it was measured.

Each peak is measured once per machine and cached as JSON in
``$XDG_CACHE_HOME/lightnets/matmul_peak.json`` (``~/.cache/lightnets/`` without it), one
entry per CPU model, library version, thread count, precision and matrix size, so that every
``lightnets bench`` here divides by the same numbers; ``remeasure=True`` (``lightnets bench
--remeasure-peak``) measures again and replaces the entry.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from ..io import atomic_path, user_cache_dir
from .latency import thread_count
from .progress import steps

SIZE = 1024  # 1024^3 = 1.07G multiply-adds a call: milliseconds even in int8, long against the timer's resolution
ROUNDS = 7
PER_ROUND = 5
WARMUP = 3
PRECISIONS = ("fp32", "int8")


@dataclass(frozen=True)
class Peak:
    gmacs: float  # the best round's median, GMAC/s
    rounds: tuple[float, ...]  # each round's median, GMAC/s
    threads: int
    size: int
    measured_at: str  # ISO 8601, local time
    precision: str = "fp32"  # "fp32" (PyTorch matmul) or "int8" (ONNX Runtime u8s8 MatMulInteger)
    cached: bool = False  # read from the cache rather than measured now

    @property
    def low(self) -> float:
        return min(self.rounds)

    @property
    def high(self) -> float:
        return max(self.rounds)

    def to_dict(self) -> dict:
        return {**asdict(self), "rounds": list(self.rounds), "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, d: dict, cached: bool) -> Peak:
        return cls(gmacs=float(d["gmacs"]), rounds=tuple(float(r) for r in d["rounds"]), threads=int(d["threads"]),
                   size=int(d["size"]), measured_at=str(d["measured_at"]), precision=str(d["precision"]),
                   cached=cached)


def best_round(samples: Sequence[Sequence[float]]) -> tuple[float, tuple[float, ...]]:
    """The peak (highest round median) and each round's median, from per-round samples."""
    if not samples or not all(samples):
        raise ValueError("need at least one round of at least one sample")
    medians = tuple(statistics.median(r) for r in samples)
    return max(medians), medians


def int8_available() -> bool:
    """Whether the int8 peak can be measured: it needs ONNX Runtime (the ``deploy`` extra)."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def _require_int8() -> None:
    if not int8_available():
        raise ImportError("the int8 matmul peak is measured with ONNX Runtime: "
                          "`pip install lightnets[deploy]` (onnx, onnxruntime)")


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")


def _fp32_matmul(size: int, threads: int) -> Callable[[], object]:
    a, b = torch.randn(size, size), torch.randn(size, size)
    return lambda: a @ b


def int8_matmul(a: np.ndarray, b: np.ndarray, threads: int) -> Callable[[], np.ndarray]:
    """A call computing ``a @ b`` (uint8 x int8, int32 out) with ONNX Runtime's
    ``MatMulInteger`` on ``threads`` threads, ``b`` a constant of the graph as a layer's
    weights are (so ONNX Runtime prepacks it once, as it does theirs)."""
    _require_int8()
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["input", "weight"], ["output"])], "int8_matmul",
        [helper.make_tensor_value_info("input", TensorProto.UINT8, list(a.shape))],
        [helper.make_tensor_value_info("output", TensorProto.INT32, [a.shape[0], b.shape[1]])],
        initializer=[numpy_helper.from_array(b, "weight")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"input": a}
    return lambda: session.run(None, feed)[0]


def _int8_matmul(size: int, threads: int) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    return int8_matmul(rng.integers(0, 256, (size, size), dtype=np.uint8),
                       rng.integers(-128, 128, (size, size), dtype=np.int8), threads)


MATMULS = {"fp32": _fp32_matmul, "int8": _int8_matmul}


def measure_peak(threads: int | None = None, *, precision: str = "fp32", size: int = SIZE, rounds: int = ROUNDS,
                 per_round: int = PER_ROUND, progress: bool = False) -> Peak:
    """GMAC/s of ``size x size @ size x size`` multiplies in ``precision``: best of
    ``rounds`` medians of ``per_round`` calls each, after a warm-up."""
    _check_precision(precision)
    samples = []
    bar = steps(rounds, f"{precision} matmul peak", progress)
    with thread_count(threads) as n_threads, torch.inference_mode():
        call = MATMULS[precision](size, n_threads)
        for _ in range(WARMUP):
            call()
        for _ in range(rounds):
            rates = []
            for _ in range(per_round):
                t0 = time.perf_counter()
                call()
                rates.append(size**3 / (time.perf_counter() - t0) / 1e9)
            samples.append(rates)
            bar.update()
    bar.close()
    peak, medians = best_round(samples)
    return Peak(peak, medians, n_threads, size, datetime.datetime.now().isoformat(timespec="seconds"), precision)


def matmul_peak_gmacs(threads: int | None = None, precision: str = "fp32") -> float:
    """The peak measured now (no cache), GMAC/s."""
    return measure_peak(threads, precision=precision).gmacs


def cache_path() -> Path:
    """``matmul_peak.json`` in :func:`~lightnets.io.user_cache_dir`."""
    return user_cache_dir() / "matmul_peak.json"


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_key(threads: int, size: int = SIZE, precision: str = "fp32") -> str:
    """The cache key: CPU, the library that multiplies (PyTorch for fp32, ONNX Runtime for
    int8) and its version, threads, precision and size."""
    _check_precision(precision)
    if precision == "fp32":
        return f"{cpu_model()} | torch {torch.__version__} | {threads} thread(s) | fp32 {size}x{size}"
    _require_int8()
    from importlib.metadata import version

    return f"{cpu_model()} | onnxruntime {version('onnxruntime')} | {threads} thread(s) | int8 u8s8 {size}x{size}"


def cached_peak(threads: int | None = None, *, precision: str = "fp32", remeasure: bool = False,
                progress: bool = False, measure: Callable[[int], Peak] | None = None) -> Peak:
    """This machine's ``precision`` peak for ``threads`` from the cache, measured (by
    ``measure``, default :func:`measure_peak`) and stored when the cache has none or
    ``remeasure`` is set."""
    with thread_count(threads) as n_threads:
        key = machine_key(n_threads, precision=precision)
    path = cache_path()
    entries = _read(path)
    if not remeasure and key in entries:
        try:
            return Peak.from_dict(entries[key], cached=True)
        except (KeyError, TypeError, ValueError):
            pass  # an entry from another version or a hand edit: measure again
    peak = (measure or (lambda n: measure_peak(n, precision=precision, progress=progress)))(n_threads)
    entries[key] = {k: v for k, v in peak.to_dict().items() if k != "cached"}
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(entries, indent=2) + "\n")
    except OSError:
        pass  # an unwritable cache costs a measurement next time, nothing else
    return peak


def _read(path: Path) -> dict:
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}
