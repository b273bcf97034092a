"""`lightnets report` (what `make run` runs): published vs counted complexity of every
checked row, then measured batch-1 latency of every model on this machine."""

from __future__ import annotations

import time
from dataclasses import asdict

from .common import add_threads_arg
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("report", help="published vs counted params/MACs and measured latency")
    p.add_argument("--runs", type=int, default=30, help="timed runs per model (default 30)")
    add_threads_arg(p)
    p.add_argument("--no-latency", action="store_true", help="skip the latency table")
    p.set_defaults(func=run)


def _status(result, notes: dict[str, int]) -> str:
    """The row's status: "match", or the kind of each documented disagreement with its note's number."""
    check = result.check
    texts = [(d.kind, d.why) for d in check.disagreements] or ([("match", check.note)] if check.note else [])
    marks = " ".join(f"{kind} [{notes.setdefault(why, len(notes) + 1)}]" for kind, why in dict.fromkeys(texts))
    if result.as_expected:
        return marks or "match"
    return "UNEXPECTED " + marks if check.disagreements else "MISMATCH"


def _disagreement(d) -> dict | None:
    return None if d is None else asdict(d)


def _short(row: str, limit: int = 48) -> str:
    """A published row's model and variant, shortened for the table."""
    row = row.replace(",res=", " @")
    return row if len(row) <= limit else row[: limit - 3] + "..."


def latency_rows(runs: int, threads: int | None) -> list[dict]:
    from ..analysis import profile
    from ..bench import measure_latency
    from ..models import create_model, list_models

    rows = []
    for name in list_models():
        model = create_model(name)
        channels, size, _ = model.default_cfg["input_size"]  # 224 for most, 299 for Inception v3, 32 for LeNet-5
        macs = profile(model, size).macs
        res = measure_latency(model, (1, channels, size, size), threads=threads, warmup=5, runs=runs)
        rows.append({"model": name, "input": size, "macs": macs, "gmac_per_s": macs / res.median_ms / 1e6,
                     **res.to_dict()})
    return rows


def run(args) -> int:
    import torch

    from ..reference import CHECKS, evaluate

    t0 = time.perf_counter()
    results = [evaluate(c) for c in CHECKS]
    notes: dict[str, int] = {}
    table = [[r.check.source_label, _short(f"{r.row['model']}: {r.row['variant']}"), r.check.convention,
              r.published_params_m, f"{r.params / 1e6:.3f}", r.published_macs_m, f"{r.macs / 1e6:.2f}",
              _status(r, notes)] for r in results]
    latency = None if args.no_latency else latency_rows(args.runs, args.threads)
    if args.json:
        print_json({
            "checks": [{"row": r.row, "convention": r.check.convention, "params": r.params, "macs": r.macs,
                        "params_match": r.params_match, "macs_match": r.macs_match,
                        "compared_macs": r.compared_macs, "params_disagreement": _disagreement(r.check.params),
                        "macs_disagreement": _disagreement(r.check.macs), "problems": r.problems,
                        "as_expected": r.as_expected} for r in results],
            "rows_as_expected": sum(r.as_expected for r in results),
            "latency": latency,
        })
        return 0 if all(r.as_expected for r in results) else 1
    print(format_table(
        ["source", "row", "param convention", "pub. params (M)", "ours", "pub. MACs (M)", "ours", "status"],
        table,
        title="Published numbers vs lightnets' exact count "
              "(MACs = conv + FC multiply-adds)",
    ))
    for reason, i in notes.items():
        print(f"  [{i}] {reason}")
    for r in results:
        for problem in r.problems:
            print(f"  ! {r.check.name}: {problem}")
    ok = sum(r.as_expected for r in results)
    print(f"\n{ok}/{len(results)} rows as expected ({sum(1 for r in results if r.check.disagreements)} "
          f"disagree as documented, each checked to its exact count) in {time.perf_counter() - t0:.1f} s\n")
    if latency:
        print(format_table(
            ["model", "input", "MACs (M)", "median (ms)", "p90 (ms)", "GMAC/s"],
            [[r["model"], r["input"], r["macs"] / 1e6, r["median_ms"], r["p90_ms"], r["gmac_per_s"]] for r in latency],
            title=f"Batch-1 latency at each model's default input, PyTorch {torch.__version__} eager fp32, "
                  f"{latency[0]['threads']} thread(s), median of {args.runs} runs after 5 warm-up",
        ))
    return 0 if ok == len(results) else 1
