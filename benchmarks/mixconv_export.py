"""Are mixed kernels cheap here? MixNet's MixConv graph, its merged forms, and MobileNetV3-Large, in ONNX Runtime.

    .venv/bin/python benchmarks/mixconv_export.py [--rounds 5] [--runs 20]

At 224, batch 1, 1 thread, fp32, ONNX Runtime on lightnets' export (lightnets.deploy.export_onnx): MixNet-S and -M as
built (each MixConv a slice, a conv and a concat per kernel group), with their grouped 1x1 MixConvs merged into one
grouped conv (``merge_mixconv(model, "pointwise")``), and with every depthwise MixConv merged too, its kernels
zero-padded to the largest (``"all"``, more MACs); MobileNetV3-Large beside them at similar MACs. Every form is
checked to give the model's outputs, counted (lightnets.profile: MACs, ONNX nodes), and timed in interleaved rounds
(the median of each round's median over ``--runs`` calls, then the median over rounds). Writes the generated section
of docs/benchmarks/mixconv_export.md, keeping its commentary.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import onnx
import torch

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets import create_model, profile
from lightnets.bench.latency import time_calls
from lightnets.bench.peak import measure_peak
from lightnets.cli.table import format_table
from lightnets.deploy import export_onnx, ort_session
from lightnets.deploy.merge_mixconv import merge_mixconv

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "mixconv_export.md"
THREADS, SIZE = 1, 224
FORMS = (("mixnet_s", None), ("mixnet_s", "pointwise"), ("mixnet_s", "all"), ("mixnet_m", None),
         ("mixnet_m", "pointwise"), ("mixnet_m", "all"), ("mobilenet_v3_large", None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    began = time.perf_counter()
    peak = measure_peak(THREADS)
    x = torch.randn(1, 3, SIZE, SIZE)
    runners, facts = {}, {}
    with tempfile.TemporaryDirectory() as work:
        for name, merge in FORMS:
            label = name + (f" ({merge} merged)" if merge else "")
            model = create_model(name).eval()
            merged = 0
            if merge:
                reference = model
                model, merged = merge_mixconv(model, merge)
                with torch.no_grad():
                    diff = (model(x) - reference(x)).abs().max().item()
                assert diff < 1e-4, f"{label} is off its model by {diff}"
            path = Path(work) / f"{len(runners)}.onnx"
            export_onnx(model, path, SIZE)
            session = ort_session(path, THREADS)
            nodes = len(onnx.load(str(path)).graph.node)
            runners[label] = lambda t, s=session: s.run(None, {s.get_inputs()[0].name: t.numpy()})[0]
            facts[label] = (profile(model, SIZE).macs, nodes, merged)
        samples: dict[str, list[float]] = {label: [] for label in runners}
        for _ in range(args.rounds):
            for label, run in runners.items():
                samples[label].append(time_calls(run, x, threads=THREADS, warmup=5, runs=args.runs).median_ms)
    rows = []
    for label, times in samples.items():
        macs, nodes, merged = facts[label]
        ms = statistics.median(times)
        rows.append([label, macs / 1e6, nodes, merged or "-", ms, 100 * macs / ms / 1e6 / peak.gmacs])
    table = format_table(["network (form)", "MACs (M)", "ONNX nodes", "MixConvs merged", "ORT fp32 (ms)",
                          "% of fp32 peak"], rows,
                         title=f"{SIZE}x{SIZE}, batch 1, {THREADS} thread, median of {args.rounds} interleaved rounds "
                               f"of {args.runs} calls; fp32 matmul peak {peak.gmacs:.1f} GMAC/s")
    today = time.strftime("%Y-%m-%d")
    command = ".venv/bin/python benchmarks/mixconv_export.py"
    generated = (f"Made by `{command}` ({today}, {time.perf_counter() - began:.0f} s). Torch {torch.__version__}."
                 f"\n\n```\n{table}\n```")
    print(write_doc(OUT, "# MixConv in ONNX Runtime: are mixed kernels cheap?", Path(__file__).name, today,
                    generated, "## What the table shows"))


if __name__ == "__main__":
    main()
