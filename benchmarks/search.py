"""How well this machine's latency tables predict a network's latency: predicted (the sum of
its units, each measured alone, plus one call's overhead) against measured (the whole network).

    .venv/bin/python benchmarks/search.py [--models 'mobilenet*'] [--backends eager,ort-fp32] [--resume]

For every registered model matching ``--models`` at its default input, batch 1, 1 thread, on
each backend: the table is built (lightnets.search.build_table, in a cache of its own under
benchmarks/.cache/ so a user's cache is left alone), the prediction read from it, and the
network timed whole in 3 interleaved rounds (lightnets.bench.compare_backends). Writes the
generated section of docs/benchmarks/search.md (keeping its hand-written commentary, see
doc_sections.py): one row per model and backend, and the median and maximum relative error
per backend. Each measurement is appended to benchmarks/.cache/search_predictor.jsonl as it
is taken; ``--resume`` keeps the same date's and goes on.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import statistics
import time
from pathlib import Path

import torch

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets import create_model, list_models
from lightnets.bench.backends import compare_backends
from lightnets.bench.peak import cpu_model
from lightnets.bench.progress import steps
from lightnets.cli.table import format_table

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
PARTIAL = CACHE / "search_predictor.jsonl"
THREADS = 1


def measure(name: str, backend: str, runs: int) -> dict:
    from lightnets.search import build_table, open_table, predict_latency

    torch.manual_seed(0)
    model = create_model(name).eval()
    size = model.default_cfg["input_size"][-1]
    began = time.perf_counter()
    table, units, measured_now = build_table(model, size, backend, threads=THREADS, runs=runs,
                                             table=open_table(backend, THREADS, 1))
    predicted = predict_latency(model, size, table).total_ms
    table_s = time.perf_counter() - began
    whole = compare_backends(model, size, (backend,), threads=THREADS, runs=runs, rounds=3)[backend].median_ms
    return {"model": name, "backend": backend, "resolution": size, "units": len(units),
            "distinct": len({u.key for u in units}), "predicted_ms": predicted, "measured_ms": whole,
            "error": predicted / whole - 1, "table_s": table_s, "date": time.strftime("%Y-%m-%d")}


def render(rows: list[dict], backends: list[str], command: str, today: str) -> str:
    table = format_table(
        ["model", "backend", "input", "units (distinct)", "predicted (ms)", "measured (ms)", "error %"],
        [[r["model"], r["backend"], r["resolution"], f"{r['units']} ({r['distinct']})", f"{r['predicted_ms']:.2f}",
          f"{r['measured_ms']:.2f}", f"{100 * r['error']:+.1f}"] for r in rows])
    summary = []
    for backend in backends:
        errors = [abs(r["error"]) for r in rows if r["backend"] == backend]
        if errors:
            summary.append([backend, len(errors), f"{100 * statistics.median(errors):.1f}",
                            f"{100 * max(errors):.1f}"])
    return (f"Made by `{command}` on {today} ({cpu_model()}, {os.cpu_count()} cores, batch 1, {THREADS} thread).\n\n"
            "### Predicted against measured latency\n\n```\n" + table + "\n```\n\n"
            "### Relative error per backend\n\n```\n"
            + format_table(["backend", "models", "median |error| %", "max |error| %"], summary) + "\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="*", help="shell-style pattern of registered names (default: all)")
    parser.add_argument("--backends", default="eager,ort-fp32")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--resume", action="store_true", help=f"keep today's measurements in {PARTIAL.name}")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "search.md")
    args = parser.parse_args()
    names = [n for n in list_models() if fnmatch.fnmatch(n, args.models)]
    backends = args.backends.split(",")
    if not names:
        raise SystemExit(f"no registered model matches {args.models!r}")
    os.environ["XDG_CACHE_HOME"] = str(CACHE / "xdg")  # the benchmark's own latency tables
    today = time.strftime("%Y-%m-%d")
    done = {}
    if args.resume and PARTIAL.is_file():
        done = {(r["model"], r["backend"]): r for r in map(json.loads, PARTIAL.read_text().splitlines())
                if r["date"] == today}
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        PARTIAL.write_text("")
    bar = steps(len(names) * len(backends), "predictor", True)
    for name in names:
        for backend in backends:
            bar.set_postfix_str(f"{name} {backend}")
            if (name, backend) not in done:
                done[(name, backend)] = measure(name, backend, args.runs)
                with PARTIAL.open("a") as f:
                    f.write(json.dumps(done[(name, backend)]) + "\n")
            bar.update()
    bar.close()
    rows = [done[(n, b)] for n in names for b in backends]
    command = "python benchmarks/search.py" + (f" --models '{args.models}'" if args.models != "*" else "")
    print(write_doc(args.out, "# Latency-aware adaptation: predictor, NetAdapt", Path(__file__).name, today,
                    render(rows, backends, command, today), "## What the tables show"))


if __name__ == "__main__":
    main()
