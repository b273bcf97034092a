"""`lightnets zoo-plot`: time every registered model (or those a pattern names) in PyTorch
eager and plot latency against MACs into a PNG; the table of the same numbers is printed.
Progress goes to stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import add_timing_args, check_timing_args
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("zoo-plot", help="time every model (eager) and plot latency against MACs into a PNG")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter of model names, e.g. 'mobilenet_v3*'")
    p.add_argument("--out", required=True, metavar="FILE.png", help="the plot to write")
    p.add_argument("--resolution", type=int, default=224, help="input size in pixels (default 224)")
    add_timing_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..bench.zoo import plot_zoo, time_zoo
    from ..io import check_output_file
    from ..models import list_models

    check_timing_args(args)
    if Path(args.out).suffix.lower() != ".png":
        raise ValueError(f"--out {args.out} must end in .png: the plot is written as a PNG image")
    out = check_output_file(args.out, "--out")
    names = list_models(args.pattern)
    if not names:
        raise ValueError(f"no model matches {args.pattern!r}; registered: {', '.join(list_models())}")
    names = takes_resolution(names, args.resolution)
    points = time_zoo(names, args.resolution, batch=args.batch_size, threads=args.threads, warmup=args.warmup,
                      runs=args.runs, progress=not args.no_progress)
    threads = points[0].latency.threads
    plot_zoo(points, out, f"Latency vs MACs, PyTorch eager, batch {args.batch_size}, {threads} thread(s), "
                          f"{args.resolution}x{args.resolution}")
    if args.json:
        print_json({"pattern": args.pattern, "resolution": args.resolution, "batch_size": args.batch_size,
                    "threads": threads, "plot": out, "models": [p.to_dict() for p in points]})
        return 0
    print(format_table(["model", "MACs (M)", "median (ms)", "p90 (ms)"],
                       [[p.model, p.macs / 1e6, p.latency.median_ms, p.latency.p90_ms] for p in points],
                       title=f"PyTorch eager, batch {args.batch_size}, {threads} thread(s), "
                             f"{args.resolution}x{args.resolution}"))
    print(f"plot: {out}")
    return 0


def takes_resolution(names: list[str], resolution: int) -> list[str]:
    """The models in ``names`` that take ``resolution`` x ``resolution`` inputs; each one left out is said on stderr
    (MobileFaceNet takes 97 to 112 only: its GDC head covers one size of final map)."""
    import torch

    from ..models import create_model

    kept = []
    for name in names:
        with torch.device("meta"):  # shapes only
            model = create_model(name)
        if model.min_input <= resolution <= (model.max_input or resolution):
            kept.append(name)
        else:
            print(f"lightnets zoo-plot: leaving out {name}: it takes inputs from {model.min_input} to "
                  f"{model.max_input or 'any size'}, not {resolution}", file=sys.stderr)
    if not kept:
        raise ValueError(f"none of {', '.join(names)} takes {resolution}x{resolution} inputs")
    return kept
