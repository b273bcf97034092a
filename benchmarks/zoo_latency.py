"""The whole zoo on this machine: cost as counted and latency as measured, side by side.

    .venv/bin/python benchmarks/zoo_latency.py [--models 'resnet*,vgg*'] [--rounds 3] [--runs 10] [--out PATH]

For every registered model at its default input (224; 299 for Inception v3/v4), batch 1,
1 thread: parameters, MACs, memory traffic and arithmetic intensity (lightnets.profile),
then the median latency of lightnets eager, ONNX Runtime fp32 on lightnets' export and, where
torchvision or timm has the same network (lightnets.interop.SOURCES), ONNX Runtime on that
library's own export; each model's runners are timed in interleaved rounds, so host drift
moves them together. Writes the generated section of docs/benchmarks/zoo_latency.md (keeping
its hand-written commentary, see doc_sections.py) and docs/benchmarks/zoo_latency.png
(latency against MACs, one point per model). Each model's measurement is appended to
benchmarks/.cache/zoo_latency.jsonl as soon as it is taken, so a killed run loses at most one
model: ``--resume`` keeps the measurements of the same date and goes on from there. ``--models`` with ``--out``
measures some families into a document of their own (the zoo grows faster than a quiet machine can time it whole).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets import create_model, list_models, profile
from lightnets.bench.latency import LatencyResult, thread_count, time_calls
from lightnets.bench.peak import measure_peak
from lightnets.bench.progress import steps
from lightnets.bench.zoo import ZooPoint, plot_zoo
from lightnets.cli.table import format_table
from lightnets.interop import SOURCES
from lightnets.models import MODELS

ROOT = Path(__file__).resolve().parents[1]
PARTIAL = ROOT / "benchmarks" / ".cache" / "zoo_latency.jsonl"
THREADS = 1


REFERENCES = ("torchvision", "timm")  # the libraries whose exports are references, in --prefer's default order


def reference_arch(name: str, prefer: str = REFERENCES[0]) -> tuple[str, str] | None:
    """The ``prefer`` library's (else the other's) arch that is this registered model at its default width and
    options (BatchNorm epsilon and activation flavour aside, which do not move latency). A name that fixes its width
    (shufflenet_v2_x0_5) is matched at that width."""
    width = MODELS[name].preset.get("width", 1.0)
    for source in sorted(REFERENCES, key=lambda source: source != prefer):
        for arch, target in SOURCES[source].items():
            if target.model == name and target.width == width and not target.variant:
                return source, arch
    return None


def reference_model(source: str, arch: str) -> torch.nn.Module:
    if source == "torchvision":
        import torchvision

        return getattr(torchvision.models, arch)(weights=None).eval()
    import timm

    return timm.create_model(arch, pretrained=False).eval()


def ort_runner(model: torch.nn.Module, size: int, path: Path):
    from lightnets.deploy import ort_session

    torch.onnx.export(model, (torch.randn(1, 3, size, size),), str(path), dynamo=True, opset_version=18,
                      input_names=["input"], verbose=False)
    session = ort_session(path, THREADS)
    return lambda x: session.run(None, {"input": x.numpy()})[0]


def measure(name: str, rounds: int, runs: int, work: Path, prefer: str) -> dict:
    from lightnets.deploy import export_onnx, ort_session

    model = create_model(name).eval()
    size = model.default_cfg["input_size"][-1]
    counted = profile(model, size)
    export_onnx(model, work / f"{name}.onnx", size)
    ours = ort_session(work / f"{name}.onnx", THREADS)

    def eager(x):
        with torch.inference_mode():
            return model(x)

    runners = {"eager": eager, "ort": lambda x: ours.run(None, {ours.get_inputs()[0].name: x.numpy()})[0]}
    ref = reference_arch(name, prefer)
    if ref is not None:
        runners["reference ort"] = ort_runner(reference_model(*ref), size, work / f"ref_{name}.onnx")
    x = torch.randn(1, model.in_chans, size, size)
    samples: dict[str, list[float]] = {k: [] for k in runners}
    with thread_count(THREADS):
        for _ in range(rounds):
            for key, run in runners.items():
                samples[key].append(time_calls(run, x, threads=THREADS, warmup=3, runs=runs).median_ms)
    return {"model": name, "size": size, "params": counted.params, "macs": counted.macs, "traffic": counted.traffic,
            "reference": f"{ref[0]} {ref[1]}" if ref else None,
            **{k: statistics.median(v) for k, v in samples.items()}}


def zoo_section(names: list[str], rounds: int, runs: int, resume: bool, prefer: str) -> tuple[str, list[dict]]:
    peak = measure_peak(THREADS)
    today = time.strftime("%Y-%m-%d")
    done = {}
    if resume and PARTIAL.is_file():
        done = {r["model"]: r for r in map(json.loads, PARTIAL.read_text().splitlines()) if r["date"] == today}
    else:
        PARTIAL.parent.mkdir(parents=True, exist_ok=True)
        PARTIAL.write_text("")
    bar = steps(len(names), "zoo", True)
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            bar.set_postfix_str(name)
            if name not in done:
                done[name] = {**measure(name, rounds, runs, Path(work), prefer), "date": today}
                with PARTIAL.open("a") as f:  # one line a model: a killed run keeps what it measured
                    f.write(json.dumps(done[name]) + "\n")
            bar.update()
    bar.close()
    results = [done[name] for name in names]
    rows = [[r["model"], r["size"], r["params"] / 1e6, r["macs"] / 1e6, r["traffic"] / 2**20,
             r["macs"] / r["traffic"], r["eager"], r["ort"], r["reference ort"] if r["reference"] else "-",
             r["reference"] or "-", 100 * r["macs"] / min(r["eager"], r["ort"]) / 1e6 / peak.gmacs]
            for r in results]
    table = format_table(
        ["model", "input", "params (M)", "MACs (M)", "traffic (MiB)", "MACs/byte", "eager (ms)", "ORT fp32 (ms)",
         "reference ORT (ms)", "reference", "best % of fp32 peak"], rows,
        title=f"batch 1, {THREADS} thread, median of {rounds} interleaved rounds of {runs} calls; fp32 matmul peak "
              f"{peak.gmacs:.1f} GMAC/s (rounds spread {peak.low:.1f}-{peak.high:.1f})")
    return table, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="*", help="comma-separated shell-style patterns of registered names "
                                                      "(default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "zoo_latency.md")
    parser.add_argument("--resume", action="store_true", help=f"keep today's measurements in {PARTIAL.name}")
    parser.add_argument("--prefer", choices=REFERENCES, default=REFERENCES[0],
                        help="the library whose export is the reference where both have the network")
    args = parser.parse_args()
    patterns = args.models.split(",")
    names = [n for n in list_models() if any(fnmatch.fnmatch(n, p) for p in patterns)]
    if not names:
        parser.error(f"no registered model matches {args.models!r}")
    began = time.perf_counter()
    table, results = zoo_section(names, args.rounds, args.runs, args.resume, args.prefer)
    png = args.out.with_suffix(".png")
    plot_zoo([ZooPoint(r["model"], r["macs"], LatencyResult(1, THREADS, 3, args.runs, r["eager"], r["eager"],
                                                            r["eager"])) for r in results],
             png, f"lightnets zoo: eager latency against MACs, batch 1, {THREADS} thread")
    command = ".venv/bin/python benchmarks/zoo_latency.py"
    command += f" --models '{args.models}'" if args.models != "*" else ""
    command += f" --prefer {args.prefer}" if args.prefer != parser.get_default("prefer") else ""
    out = args.out.resolve()
    if out != parser.get_default("out"):
        command += f" --out {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
    today = time.strftime("%Y-%m-%d")
    generated = (f"Made by `{command}` ({today}, {time.perf_counter() - began:.0f} s). Torch {torch.__version__}, "
                 f"{os.cpu_count()} cores visible.\n\n```\n{table}\n```\n\n![latency against MACs]({png.name})")
    title = "# The zoo: counted cost and measured latency" + ("" if args.models == "*" else f" ({args.models})")
    print(write_doc(args.out, title, Path(__file__).name, today, generated, "## What the table shows"))


if __name__ == "__main__":
    main()
