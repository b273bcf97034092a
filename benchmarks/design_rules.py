"""ShuffleNet V2's four guidelines measured on this CPU: `lightnets explain design-rules` at
the paper's 56x56 input and a width every table measured on both its platforms.

    .venv/bin/python benchmarks/design_rules.py [--channels 128] [--runs 10] [--rounds 5]

Each guideline's networks (lightnets.explain.design_rules: equal MACs, one respect varied)
are counted by lightnets.profile and timed at batch 1 and 8, 1 thread, on PyTorch eager and
ONNX Runtime fp32, in interleaved rounds. At c = 128 the paper printed every table's GPU
and ARM speeds, so each row stands beside the paper's own time ratios. Not a test: the
numbers depend on the machine and on what else runs on it. Writes the results to
runs/design_rules/results.json, the panels to design_rules.png beside ``--out`` and the
generated section of ``--out``, keeping its hand-written commentary (see doc_sections.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets.bench.peak import cpu_model
from lightnets.cli.explain import guideline_table
from lightnets.explain.design_rules import design_rules, plot_design_rules, thread_words
from lightnets.io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "runs" / "design_rules"
DEFAULTS = {"channels": 128, "size": 56, "batches": "1,8", "backends": "eager,ort-fp32", "threads": 1, "warmup": 2,
            "runs": 10, "rounds": 5}


def command(args: argparse.Namespace) -> str:
    """The command line that made the tables: the script and the options that differ from its defaults."""
    given = [f"--{k} {getattr(args, k)}" for k in DEFAULTS if getattr(args, k) != DEFAULTS[k]]
    return " ".join(["python benchmarks/design_rules.py", *given])


def render(result, made_by: str, date: str, png: str) -> str:
    import onnxruntime

    times = (f"each time the median of {result.runs} calls (after {result.warmup} untimed), the median of "
             f"{result.rounds} interleaved rounds (each round times every network of a guideline on every "
             "backend and batch once)")
    parts = [f"Made by `{made_by}` ({date}).\n",
             f"{cpu_model()}, {os.cpu_count()} cores, {thread_words(result.threads)}; PyTorch {torch.__version__} "
             f"eager and ONNX Runtime {onnxruntime.__version__}, fp32; c = {result.channels}, "
             f"{result.size}x{result.size} input; {times}.\n",
             "Every network is a block stacked 10 times, of convs without bias or BN (lightnets.explain.design_rules "
             "has the widths and how they hold the MACs equal). MACs and memory traffic (fp32 bytes read and "
             "written, batch 1) are lightnets.profile's counts. Each cell `ms (ratio)` is the measured time and its "
             "ratio to the guideline's first network on the same backend and batch; `paper GPU` and `paper ARM` "
             "are the paper's speeds at this c as the same time ratios (its GPU at batch 8, its ARM core, a "
             "Snapdragon 810 on one thread, at batch 1).\n"]
    for g in result.guidelines:
        parts.append(f"### {g.name}: {g.claim} ({g.table})\n\n```\n{guideline_table(result, g, title=False)}\n```\n")
    parts.append(f"![time and counts relative to each guideline's first network]({png})\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=DEFAULTS["channels"],
                        help="c of each guideline's first network")
    parser.add_argument("--size", type=int, default=DEFAULTS["size"], help="input height and width")
    parser.add_argument("--batches", default=DEFAULTS["batches"], help="comma-separated batch sizes")
    parser.add_argument("--backends", default=DEFAULTS["backends"], help="comma-separated backends")
    parser.add_argument("--threads", type=int, default=DEFAULTS["threads"])
    parser.add_argument("--warmup", type=int, default=DEFAULTS["warmup"], help="untimed calls before each timing")
    parser.add_argument("--runs", type=int, default=DEFAULTS["runs"], help="timed calls per network, backend, batch "
                                                                           "and round")
    parser.add_argument("--rounds", type=int, default=DEFAULTS["rounds"], help="interleaved rounds")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "design_rules.md")
    args = parser.parse_args()
    if args.runs < 1:
        raise SystemExit("--runs must be >= 1: the document is about measured time")
    began = time.perf_counter()
    result = design_rules(args.channels, size=args.size, backends=tuple(args.backends.split(",")),
                          batches=tuple(int(b) for b in args.batches.split(",")), threads=args.threads,
                          warmup=args.warmup, runs=args.runs, rounds=args.rounds,
                          progress=lambda line: print(line, flush=True))
    png = args.out.with_name("design_rules.png")
    plot_design_rules(result, png)
    date, made_by = time.strftime("%Y-%m-%d"), command(args)
    OUT.mkdir(parents=True, exist_ok=True)
    atomic_write_text(OUT / "results.json", json.dumps({**result.to_dict(), "command": made_by, "date": date,
                                                        "cpu": cpu_model(), "wall_s": time.perf_counter() - began},
                                                       indent=1))
    print(write_doc(args.out, "# ShuffleNet V2's design guidelines on this CPU", Path(__file__).name, date,
                    render(result, made_by, date, png.name), "## What the tables show"))
    print(f"{time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()
