"""Deployment latency and int8 accuracy, measured side by side on this machine.

    .venv/bin/python benchmarks/latency.py [--int8-checkpoint runs/cifar10/mobilenet_v2_050/best.pth]

Part 1, latency: MobileNetV2 1.0, MobileNetV3-Large and -Small at 224x224, batch 1, with 1
and 2 threads: lightnets eager, lightnets BN-folded channels_last, ONNX Runtime and
ExecuTorch/XNNPACK on lightnets' export (fp32 and int8), torchvision's eager model, and ONNX
Runtime and ExecuTorch/XNNPACK on torchvision's export of the same network; every backend
timed in interleaved rounds; each next to the machine's matrix-multiply peak of its precision
(fp32 rows against the fp32 peak, int8 rows against the int8 one). Part 2, int8: a
CIFAR-10 checkpoint exported to ONNX and quantized with each weight/activation scheme, and
to ExecuTorch fp32 and int8 (XNNPACK quantizer); top-1 on the 10,000 test images and the
size on disk.
Writes the generated section of docs/benchmarks/latency.md (keeping its hand-written
commentary, see doc_sections.py) and docs/benchmarks/latency_zoo.png.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import torch

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets import create_model, list_models, profile
from lightnets.bench.backends import BACKENDS, build_backends, precision
from lightnets.bench.latency import thread_count, time_calls
from lightnets.bench.peak import PRECISIONS, measure_peak
from lightnets.bench.zoo import plot_zoo, time_zoo
from lightnets.cli.table import format_table

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")


def torchvision_runners(name: str, work: Path, threads: int) -> dict:
    import torchvision

    from lightnets.deploy import PteModel, export_pte, ort_session

    model = getattr(torchvision.models, name)().eval()
    path = work / f"tv_{name}.onnx"
    torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), str(path), dynamo=True, opset_version=18,
                      input_names=["input"])
    session = ort_session(path, threads)
    export_pte(model, work / f"tv_{name}.pte", 224)

    def eager(x):
        with torch.inference_mode():
            return model(x)

    return {"torchvision eager": eager,
            "torchvision ONNX Runtime fp32": lambda x: session.run(None, {"input": x.numpy()})[0],
            "torchvision ExecuTorch fp32": PteModel(work / f"tv_{name}.pte").forward}


def row_precision(key: str) -> str:
    """The precision of a row, hence its peak: lightnets' int8 backends are int8, the rest fp32."""
    return precision(key.removeprefix("lightnets ")) if key.startswith("lightnets ") else "fp32"


def latency_section(threads: int, rounds: int, runs: int) -> str:
    peaks = {p: measure_peak(threads, precision=p) for p in PRECISIONS}
    peak = peaks["fp32"].gmacs
    blocks = [f"matrix-multiply peaks with {threads} thread(s): " + ", ".join(
        f"{p} {q.gmacs:.1f} GMAC/s (best of {len(q.rounds)} rounds, which spread {q.low:.1f}-{q.high:.1f})"
        for p, q in peaks.items()) + "; fp32 = PyTorch's matmul, int8 = ONNX Runtime's u8s8 MatMulInteger"]
    x = torch.randn(1, 3, 224, 224)
    for name in NETWORKS:
        model = create_model(name).eval()
        macs = profile(model, 224).macs
        with tempfile.TemporaryDirectory() as work, thread_count(threads):
            runners = {f"lightnets {k}": v for k, v in build_backends(
                model, 224, BACKENDS, threads, work).items()}
            runners |= torchvision_runners(name, Path(work), threads)
            samples: dict[str, list[float]] = {k: [] for k in runners}
            for _ in range(rounds):
                for key, run in runners.items():
                    samples[key].append(time_calls(run, x, threads=threads, warmup=5, runs=runs).median_ms)
        medians = {k: statistics.median(v) for k, v in samples.items()}
        rows = [[k, ms, macs / ms / 1e6, row_precision(k), 100 * macs / ms / 1e6 / peaks[row_precision(k)].gmacs]
                for k, ms in medians.items()]
        blocks.append(format_table(
            ["backend", "median (ms)", "GMAC/s", "peak", "% of matmul peak"], rows,
            title=f"{name}, {macs / 1e6:.1f}M MACs, batch 1, {threads} thread(s); floor "
                  f"= {macs / peak / 1e6:.2f} ms at the fp32 peak's MAC rate, "
                  f"{macs / peaks['int8'].gmacs / 1e6:.2f} ms at the int8 peak's",
        ) + "\n" + targets(medians, macs, peak))
    return "\n\n".join(blocks)


def targets(medians: dict[str, float], macs: int, peak: float) -> str:
    """The issue's fp32 targets for one network: lightnets' fastest fp32 path against the
    fastest optimised runtime on torchvision's export and against torchvision's eager model."""
    ours = min((k for k in medians if k.startswith("lightnets") and "int8" not in k), key=medians.get)
    theirs = min(("torchvision ONNX Runtime fp32", "torchvision ExecuTorch fp32"), key=medians.get)
    return (f"fastest lightnets fp32: {ours} {medians[ours]:.2f} ms = "
            f"{medians[theirs] / medians[ours]:.2f}x the speed of the fastest on torchvision's export ({theirs}), "
            f"{medians['torchvision eager'] / medians[ours]:.2f}x torchvision eager, "
            f"{100 * macs / medians[ours] / 1e6 / peak:.0f}% of the matmul peak")


def int8_section(checkpoint: Path, data_root: Path) -> str:
    from torch.utils.data import DataLoader

    from lightnets.checkpoint import load_checkpoint
    from lightnets.data import Preprocessing, open_data
    from lightnets.deploy import PteModel, SCHEMES, calibration_batches, export_onnx, export_pte, quantize_onnx
    from lightnets.deploy.onnx_model import OnnxModel
    from lightnets.training import evaluate

    model, extra = load_checkpoint(checkpoint)
    pre = Preprocessing.from_dict(extra["preprocessing"])
    data = open_data(data_root, pre=pre)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        fp32 = Path(work) / "fp32.onnx"
        export_onnx(model, fp32, pre.input_size, metadata={"classes": data.classes})
        loader = DataLoader(data.val, batch_size=256)
        base = evaluate(OnnxModel(fp32), loader, len(data.classes))
        rows.append(["ONNX fp32", base.top1, 0.0, fp32.stat().st_size / 2**20, base.images_per_s])
        for scheme in SCHEMES:
            calibration = calibration_batches(data, pre, 1024)
            report = quantize_onnx(fp32, Path(work) / f"{scheme}.onnx", calibration, scheme=scheme)
            result = evaluate(OnnxModel(report.path), loader, len(data.classes))
            rows.append([f"ONNX int8 {scheme}", result.top1, result.top1 - base.top1, report.int8_bytes / 2**20,
                         result.images_per_s])
        for label, calibration in (("ExecuTorch fp32", None),
                                   ("ExecuTorch int8 (XNNPACK)", calibration_batches(data, pre, 1024))):
            report = export_pte(model, Path(work) / "m.pte", pre.input_size, calibration=calibration)
            result = evaluate(PteModel(report.path), loader, len(data.classes))
            rows.append([label, result.top1, result.top1 - base.top1, report.size_bytes / 2**20,
                         result.images_per_s])
    return format_table(["artefact", "top-1 (%)", "change (points)", "size (MiB)", "images/s (batch 256)"], rows,
                        title=f"{checkpoint}: CIFAR-10 test set (10,000 images), calibrated on 1,024 training images")


def zoo_plot(path: Path, threads: int) -> None:
    """`lightnets zoo-plot --out PATH --threads THREADS --warmup 5 --runs 30`, every model at 224."""
    plot_zoo(time_zoo(list_models(), 224, threads=threads, warmup=5, runs=30), path,
             f"PyTorch eager, batch 1, {threads} thread(s), 224x224")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--int8-checkpoint", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / ".cache" / "cifar10")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "latency.md")
    args = parser.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
    vnni = "avx512_vnni" in flags or "avx_vnni" in flags
    sections = [latency_section(t, args.rounds, args.runs) for t in (1, 2)]
    if args.int8_checkpoint:
        sections.append(int8_section(args.int8_checkpoint, args.data))
    zoo_plot(args.out.with_name("latency_zoo.png"), 1)
    today = time.strftime("%Y-%m-%d")
    generated = (f"Made by `python benchmarks/latency.py"
                 f"{' --int8-checkpoint ' + str(args.int8_checkpoint) if args.int8_checkpoint else ''}` on "
                 f"{today}: {cpu} ({'with' if vnni else 'without'} VNNI), PyTorch {torch.__version__}, "
                 f"ONNX Runtime {__import__('onnxruntime').__version__}, ExecuTorch {version('executorch')}. Medians "
                 f"over {args.rounds} interleaved rounds of {args.runs} runs.\n\n"
                 + "\n\n".join(f"```\n{s}\n```" for s in sections) + "\n\n![latency vs MACs](latency_zoo.png)\n")
    print(write_doc(args.out, "# Deployment latency on this machine", Path(__file__).name, today, generated,
                    "## Reading these numbers"))


if __name__ == "__main__":
    main()
