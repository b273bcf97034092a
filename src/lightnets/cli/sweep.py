"""`lightnets sweep MODEL --widths ... --resolutions ... --data PATH --epochs N`: train each
width x resolution point, measure its latency on a backend, and tabulate and plot accuracy
against measured latency with the Pareto front marked (:mod:`lightnets.search.sweep`)."""

from __future__ import annotations

import time
from pathlib import Path

from .common import add_model_args, parse_list, progress_lines
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("sweep", help="train width x resolution points and plot accuracy against measured latency",
                       description="MobileNetV1's Figures 4-5 with latency measured on this machine: each width "
                       "multiplier x resolution trained on --data, scored on its validation split, timed on "
                       "--backend; sweep.json, a table and sweep.png (Pareto front marked) in --out. A killed "
                       "sweep continues with the same command.")
    add_model_args(p, sizes=False, num_classes=False)
    p.add_argument("--widths", default="1,0.75,0.5,0.35", help="comma-separated width multipliers")
    p.add_argument("--resolutions", default="224,160,128", help="comma-separated input sizes")
    p.add_argument("--data", required=True, help="data folder, or 'sample' for the embedded CIFAR-10 sample")
    p.add_argument("--epochs", type=int, default=10, help="epochs per point (default 10)")
    p.add_argument("--backend", default="ort-fp32", help="the backend latency is measured on (default ort-fp32)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads of the latency measurement (default 1)")
    p.add_argument("--recipe", default="sgd-cosine", help="training recipe (default sgd-cosine)")
    p.add_argument("--batch-size", type=int, default=64, help="training batch (default 64)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the recipe's)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and shuffles (default 0)")
    p.add_argument("--init-from", default=None, metavar="CKPT",
                   help="fine-tune every point from this lightnets checkpoint (its width only: a resolution sweep)")
    p.add_argument("--target-ms", type=float, default=None, help="rank the points by MnasNet's reward at this target")
    p.add_argument("--reward", choices=("soft", "hard"), default="soft", help="the reward's setting (default soft)")
    p.add_argument("--out", default=None, help="output folder (default runs/sweep-<model>-<date>-<time>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..bench.backends import BACKENDS, available_backends
    from ..io import check_output_dir
    from ..search.reward import mark_front
    from ..search.sweep import PLOT, SweepPoint, plot_sweep, sweep

    widths = parse_list(args.widths, float, "--widths")
    resolutions = parse_list(args.resolutions, int, "--resolutions")
    if args.backend not in available_backends():
        raise ValueError(f"backend {args.backend!r} is not available here; valid: {', '.join(available_backends())}"
                         + ("" if args.backend in BACKENDS else f" (all backends: {', '.join(BACKENDS)})"))
    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    out = check_output_dir(Path(args.out) if args.out else
                           Path("runs") / f"sweep-{args.model}-{time.strftime('%Y%m%d-%H%M%S')}", "--out")
    say = progress_lines(args)
    points = [SweepPoint(w, r) for w in widths for r in resolutions]
    model_kwargs = {**args.model_kwargs, **({"in_chans": args.in_chans} if args.in_chans else {})}
    rows = sweep(args.model, points, args.data, out, epochs=args.epochs, backend=args.backend, threads=args.threads,
                 recipe=args.recipe, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                 model_kwargs=model_kwargs, init_from=args.init_from, progress=not args.no_progress, say=say)
    rows = mark_front(rows, args.target_ms, args.reward)
    png = plot_sweep(out / PLOT, rows, f"{args.model} on {args.backend}, {args.threads} thread(s)")
    if args.json:
        print_json({"model": args.model, "backend": args.backend, "threads": args.threads, "epochs": args.epochs,
                    "data": args.data, "target_ms": args.target_ms, "reward": args.reward, "rows": rows,
                    "plot": png, "out_dir": out})
        return 0
    print(format_table(
        ["width", "resolution", "top-1 (%)", "latency (ms)", "MACs (M)", "params (M)", "Pareto", "reward"],
        [[f"{r['width']:g}", r["resolution"], r["top1"], f"{r['latency_ms']:.3f}", r["macs"] / 1e6,
          r["params"] / 1e6, "*" if r["pareto"] else "", "-" if r["reward"] is None else f"{r['reward']:.2f}"]
         for r in rows],
        title=f"{args.model} sweep on {args.backend}, {args.threads} thread(s), {args.epochs} epoch(s) a point"))
    print(f"plot: {png}; points: {out}")
    return 0
