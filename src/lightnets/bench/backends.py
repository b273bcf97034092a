"""One model, several ways to run it: PyTorch eager, eager with BatchNorm folded and
channels_last memory, ONNX Runtime fp32 and int8, ExecuTorch (XNNPACK) fp32 and int8. Each
backend is a callable on a float32 NCHW tensor, built once, then timed by
:func:`~.latency.time_calls`."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from .latency import LatencyResult, thread_count, time_calls
from .progress import steps

BACKENDS = ("eager", "eager-folded-cl", "ort-fp32", "ort-int8", "executorch-fp32", "executorch-int8")


def precision(backend: str) -> str:
    """``"int8"`` for the quantized backends, else ``"fp32"``: the matmul peak it is held to."""
    return "int8" if backend.endswith("-int8") else "fp32"


def available_backends() -> tuple[str, ...]:
    """The backends this install can run: ExecuTorch's need the ``mobile`` extra."""
    if importlib.util.find_spec("executorch") is None:
        return tuple(b for b in BACKENDS if not b.startswith("executorch"))
    return BACKENDS


def _eager(model: nn.Module) -> Callable:
    def run(x):
        with torch.inference_mode():
            return model(x)
    return run


def _folded_channels_last(model: nn.Module) -> Callable:
    from ..deploy import fold_bn

    folded, _ = fold_bn(model)
    folded = folded.to(memory_format=torch.channels_last)

    def run(x):
        with torch.inference_mode():
            return folded(x.contiguous(memory_format=torch.channels_last))
    return run


def _ort(path: Path, threads: int | None) -> Callable:
    from ..deploy import ort_session

    session = ort_session(path, threads)
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x.numpy()})[0]


def _executorch(model: nn.Module, input_size: int, path: Path, threads: int | None, int8: bool) -> Callable:
    from ..deploy import PteModel, export_pte
    from ..deploy.executorch_export import set_threads

    export_pte(model, path, input_size, calibration=_random_calibration(model, input_size) if int8 else None)
    if threads is not None:
        set_threads(threads)
    return PteModel(path).forward


def _random_calibration(model: nn.Module, input_size: int):
    shape = (8, getattr(model, "in_chans", 3), input_size, input_size)
    return (np.random.default_rng(i).standard_normal(shape, dtype=np.float32) for i in range(4))


def build_backends(model: nn.Module, input_size: int, names: tuple[str, ...], threads: int | None,
                   work_dir: str | Path, scheme: str = "u8s8", on_built: Callable[[str], None] | None = None,
                   ) -> dict[str, Callable]:
    """Callables for ``names``. Exported files go into ``work_dir``; int8 is calibrated on
    random inputs here (latency only; accuracy needs real images: `lightnets quantize`,
    `lightnets export --format pte --int8`). ``on_built(name)`` follows each backend."""
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {', '.join(unknown)}; valid: {', '.join(BACKENDS)}")
    model = model.eval()
    runners: dict[str, Callable] = {}
    work_dir = Path(work_dir)
    fp32 = work_dir / "model.onnx"
    for name in names:
        if name == "eager":
            runners[name] = _eager(model)
        elif name == "eager-folded-cl":
            runners[name] = _folded_channels_last(model)
        elif name.startswith("executorch"):
            runners[name] = _executorch(model, input_size, work_dir / f"{name}.pte", threads, name.endswith("int8"))
        else:
            from ..deploy import export_onnx, quantize_onnx

            if not fp32.exists():
                export_onnx(model, fp32, input_size)
            if name == "ort-fp32":
                runners[name] = _ort(fp32, threads)
            else:
                int8 = quantize_onnx(fp32, work_dir / "model.int8.onnx", _random_calibration(model, input_size),
                                     scheme=scheme).path
                runners[name] = _ort(int8, threads)
        if on_built is not None:
            on_built(name)
    return runners


def compare_backends(model: nn.Module, input_size: int, names: tuple[str, ...] = BACKENDS, *,
                     threads: int | None = None, batch: int = 1, warmup: int = 5, runs: int = 30,
                     rounds: int = 3, progress: bool = False) -> dict[str, LatencyResult]:
    """Latency per backend, measured in interleaved rounds (each round times every backend
    once) so a shared machine's drift does not favour one of them; the round with the
    median ``median_ms`` stands for each backend. ``progress`` draws a bar on stderr over
    the builds (exports, quantization) and the timings."""
    x = torch.randn(batch, getattr(model, "in_chans", 3), input_size, input_size)
    bar = steps(len(names) * (1 + rounds), "bench", progress)
    bar.set_postfix_str(f"building {names[0]}" if names else "")

    def built(name: str) -> None:
        bar.update()
        later = names[names.index(name) + 1:]
        bar.set_postfix_str(f"building {later[0]}" if later else "timing")

    with tempfile.TemporaryDirectory() as work, thread_count(threads):
        runners = build_backends(model, input_size, names, threads, work, on_built=built)
        per_round: dict[str, list[LatencyResult]] = {n: [] for n in names}
        for i in range(rounds):
            for name, run in runners.items():
                bar.set_postfix_str(f"round {i + 1}/{rounds}: {name}")
                per_round[name].append(time_calls(run, x, threads=threads, warmup=warmup, runs=runs))
                bar.update()
    bar.close()
    return {n: sorted(r, key=lambda t: t.median_ms)[len(r) // 2] for n, r in per_round.items()}
