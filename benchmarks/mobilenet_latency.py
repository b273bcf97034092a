"""Batch-1 CPU latency of every registered model, and torchvision's same networks beside
them, measured in one run with interleaved rounds; plus the time `profile()` takes.

    .venv/bin/python benchmarks/mobilenet_latency.py --out docs/benchmarks/mobilenet_latency.md

Not a test: numbers depend on the machine. Interleaving (round r times every model once
before round r+1) keeps slow drifts of a shared machine from favouring one model. Writes the
generated section of ``--out``, keeping its hand-written commentary (see doc_sections.py).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from doc_sections import write_doc  # noqa: E402  benchmarks/doc_sections.py, beside this script

from lightnets import create_model, list_models, profile  # noqa: E402
from lightnets.bench import measure_latency  # noqa: E402
from lightnets.cli.table import format_table  # noqa: E402

TORCHVISION_TWINS = {
    "mobilenet_v2": "mobilenet_v2",
    "mobilenet_v3_large": "mobilenet_v3_large",
    "mobilenet_v3_small": "mobilenet_v3_small",
}


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def models_to_time():
    out = []
    for name in list_models():
        out.append((name, "lightnets", create_model(name).eval()))
        if name in TORCHVISION_TWINS:
            import torchvision

            out.append((name, "torchvision", getattr(torchvision.models, TORCHVISION_TWINS[name])().eval()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/benchmarks/mobilenet_latency.md")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per model per round")
    args = parser.parse_args()

    entries = models_to_time()
    sections = []
    for threads in (1, 2):
        samples = {(n, src): [] for n, src, _ in entries}
        for _ in range(args.rounds):
            for name, src, model in entries:
                r = measure_latency(model, (1, 3, 224, 224), threads=threads, warmup=3, runs=args.runs)
                samples[name, src].append(r.median_ms)
        rows = []
        for name, src, model in entries:
            macs = profile(model, 224).macs
            med = statistics.median(samples[name, src])
            rows.append([name, src, macs / 1e6, med, max(samples[name, src]), macs / med / 1e6])
        sections.append(format_table(
            ["model", "implementation", "MACs (M)", "median (ms)", "worst round (ms)", "GMAC/s"], rows,
            title=f"{threads} thread(s): median over {args.rounds} rounds of the per-round median of {args.runs} runs",
        ))

    prof_rows = []
    for name in list_models():
        model = create_model(name)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            profile(model, 224)
            times.append((time.perf_counter() - t0) * 1e3)
        prof_rows.append([name, statistics.median(times)])
    sections.append(format_table(["model", "profile() at 224 (ms, median of 5)"], prof_rows,
                                 title="Time to count a model with lightnets.profile"))

    today = time.strftime("%Y-%m-%d")
    header = (
        f"Made by `.venv/bin/python benchmarks/mobilenet_latency.py` on {today}: "
        f"{cpu_name()}, {torch.get_num_threads()} cores visible to torch, PyTorch {torch.__version__} eager fp32, "
        "batch 1, 224x224, `torch.inference_mode`.\n\n"
        "lightnets and torchvision build the same networks (identical weights give identical logits, "
        "see tests/interop), so their rows show the cost of the implementation alone.\n"
    )
    generated = header + "\n" + "\n\n".join(f"```\n{s}\n```" for s in sections) + "\n"
    print(write_doc(Path(args.out), "# MobileNet latency on this machine", Path(__file__).name, today, generated,
                    "## What the tables show"))


if __name__ == "__main__":
    main()
