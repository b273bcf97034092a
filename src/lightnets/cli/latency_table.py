"""`lightnets latency-table MODEL --backend B`: build or extend this machine's latency
lookup table for a network (each distinct unit measured alone, cached in the user's cache
directory) and print the network's predicted latency unit by unit (:mod:`lightnets.search`)."""

from __future__ import annotations

import sys

from .common import add_model_args, add_timing_args, check_timing_args, input_size, model_from_args, model_json
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("latency-table", help="measure a network's units alone on a backend, cached, and predict "
                                             "its latency from them")
    add_model_args(p)
    add_timing_args(p)
    p.set_defaults(warmup=5, runs=20)
    p.add_argument("--backend", default="ort-fp32",
                   help="eager, eager-folded-cl, ort-fp32, ort-int8, executorch-fp32 or executorch-int8 "
                        "(default ort-fp32)")
    p.set_defaults(func=run)


def run(args) -> int:
    import torch

    from ..search import build_table, open_table, predict_latency

    check_timing_args(args)
    threads = args.threads or torch.get_num_threads()
    table = open_table(args.backend, threads, args.batch_size)
    if table.note:
        print(f"note: {table.note}", file=sys.stderr)
    model = model_from_args(args)
    size = input_size(args, model)
    table, units, measured = build_table(model, size, args.backend, threads=threads, batch=args.batch_size,
                                         warmup=args.warmup, runs=args.runs, table=table,
                                         progress=not args.no_progress)
    prediction = predict_latency(model, size, table)
    if args.json:
        print_json({**model_json(args, model), "backend": args.backend, "threads": threads,
                    "batch_size": args.batch_size, "table": str(table.path), "measured_now": measured,
                    **prediction.to_dict()})
        return 0
    print(format_table(["unit", "kind", "input", "alone (ms)"],
                       [[u.name, u.kind, "x".join(map(str, u.input_shape)), ms] for u, ms in prediction.units],
                       title=f"{args.model} at {size}x{size} on {args.backend}, {threads} thread(s), batch "
                             f"{args.batch_size}: {len(units)} units, {len({u.key for u in units})} distinct, "
                             f"{measured} measured now"))
    print(f"predicted latency: {prediction.total_ms:.3f} ms (a call's overhead {prediction.overhead_ms:.3f} ms, "
          f"plus each unit less that overhead); table: {table.path}")
    return 0
