"""`lightnets netadapt CHECKPOINT --data PATH --target-ms T | --target-ratio R`: narrow a
trained MobileNet layer by layer until its latency measured on this machine's backend meets
the target (NetAdapt, :mod:`lightnets.search.netadapt`), resumably."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .common import progress_lines
from .table import format_table, print_json

RANKS = ("accuracy", "soft", "hard")  # lightnets.search.netadapt.RANKS, without importing it


def register(sub) -> None:
    p = sub.add_parser(
        "netadapt", help="narrow a trained network layer by layer to a latency target measured on this machine",
        description="NetAdapt (Yang et al. 2018, Algorithm 1) on a lightnets checkpoint of a family with per-layer "
        "widths: each iteration narrows the one width group (a layer, or channels a residual ties) whose proposal, "
        "fine-tuned briefly, scores best on training images held out from fine-tuning, until the network's measured "
        "latency meets the target; then a long-term fine-tune. Writes iterations/iter_NNN.pth, netadapt.json, "
        "trajectory.png and netadapt.pth to --out.")
    p.add_argument("checkpoint", help="a lightnets checkpoint (.pth) of a trained model, e.g. a run's best.pth")
    p.add_argument("--data", required=True, help="the data the model was trained on ('sample' for the embedded one)")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-ms", type=float, default=None, help="latency target in milliseconds")
    target.add_argument("--target-ratio", type=float, default=None,
                        help="latency target as a share of the starting measured latency, e.g. 0.5")
    p.add_argument("--backend", default="ort-fp32",
                   help="eager, eager-folded-cl, ort-fp32, ort-int8, executorch-fp32 or executorch-int8 "
                        "(default ort-fp32)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads the latency is measured with (default 1)")
    p.add_argument("--initial-reduction", type=float, default=0.025,
                   help="first iteration's latency reduction, a share of the starting latency (default 0.025)")
    p.add_argument("--decay", type=float, default=0.96, help="the reduction's decay per iteration (default 0.96)")
    p.add_argument("--step", type=int, default=8, help="widths are multiples of this many channels (default 8)")
    p.add_argument("--short-steps", type=int, default=200, help="SGD steps of each proposal's fine-tune (default 200)")
    p.add_argument("--long-epochs", type=int, default=5, help="epochs of the final fine-tune (default 5; 0 = none)")
    p.add_argument("--lr", type=float, default=0.01, help="fine-tuning learning rate (default 0.01)")
    p.add_argument("--batch-size", type=int, default=64, help="fine-tuning batch (default 64)")
    p.add_argument("--held-out", type=float, default=0.1,
                   help="share of the training images held out to rank proposals (default 0.1)")
    p.add_argument("--rank", choices=RANKS, default="accuracy",
                   help="rank proposals by held-out top-1 (default) or MnasNet's soft / hard reward at the target")
    p.add_argument("--max-iterations", type=int, default=100, help="stop after this many iterations (default 100)")
    p.add_argument("--warmup", type=int, default=5, help="untimed runs before each latency measurement (default 5)")
    p.add_argument("--runs", type=int, default=20, help="timed runs per latency measurement (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the held-out split and the fine-tunes (default 0)")
    p.add_argument("--out", default=None, help="output folder (default runs/netadapt-<date>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last iteration")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.add_argument("--channels-last", action="store_true", help="fine-tune in the NHWC memory layout")
    p.add_argument("--bf16", action="store_true", help="fine-tune in mixed precision (bfloat16 autocast)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..checkpoint import load_checkpoint
    from ..data import Preprocessing, open_as_trained
    from ..io import CheckpointError, check_output_dir
    from ..search import open_table
    from ..search.netadapt import NetAdaptConfig, netadapt

    if args.out is None and args.resume:
        raise ValueError("--resume needs --out DIR, the folder of the run to continue")
    out = check_output_dir(Path(args.out) if args.out else Path("runs") / f"netadapt-{time.strftime('%Y%m%d-%H%M%S')}",
                           "--out")
    threads = args.threads
    config = NetAdaptConfig(
        out, target_ms=args.target_ms, target_ratio=args.target_ratio, backend=args.backend, threads=threads,
        initial_reduction=args.initial_reduction, decay=args.decay, step=args.step, short_steps=args.short_steps,
        long_epochs=args.long_epochs, lr=args.lr, batch_size=args.batch_size, held_out=args.held_out,
        seed=args.seed, max_iterations=args.max_iterations, rank=args.rank, warmup=args.warmup, runs=args.runs,
        progress=not args.no_progress, channels_last=args.channels_last, bf16=args.bf16)
    table = open_table(args.backend, threads, 1)
    if table.note:
        print(f"note: {table.note}", file=sys.stderr)
    model, extra = load_checkpoint(args.checkpoint)
    if "preprocessing" not in extra:
        raise CheckpointError(f"{args.checkpoint} has no preprocessing entry; NetAdapt fine-tunes on images "
                              "prepared as in training, so give a checkpoint that `lightnets train` wrote")
    pre = Preprocessing.from_dict(extra["preprocessing"])
    data = open_as_trained(args.data, pre=pre, trained_on=extra.get("data"))
    if extra.get("classes") is not None and list(extra["classes"]) != list(data.classes):
        raise ValueError(f"the data's classes {data.classes} differ from the checkpoint's {list(extra['classes'])}")
    say = progress_lines(args)
    result = netadapt(model, data, pre, config, table, resume=args.resume, say=say)
    last = result.iterations[-1] if result.iterations else result.start
    if args.json:
        print_json({"checkpoint": args.checkpoint, "backend": args.backend, "threads": threads,
                    "target_ms": result.target_ms, "start": result.start, "iterations": result.iterations,
                    "stopped": result.stopped, "measured_ms": last["measured_ms"],
                    "predicted_ms": last["predicted_ms"], "final": result.final, "final_top1": result.final_top1,
                    "trajectory": result.trajectory if result.iterations else None, "table": str(table.path)})
        return 0
    if result.iterations:
        rows = [[r["iteration"], r.get("group", "-"), f"{r['from']} -> {r['to']}" if "to" in r else "-",
                 f"{r['predicted_ms']:.3f}", f"{r['measured_ms']:.3f}", r["top1"]]
                for r in (result.start, *result.iterations)]
        print(format_table(["iteration", "narrowed", "channels", "predicted (ms)", "measured (ms)",
                            "held-out top-1 (%)"], rows,
                           title=f"NetAdapt on {args.backend}, {threads} thread(s), target {result.target_ms:.3f} ms"))
        print(f"result: {result.final} (held-out top-1 {result.final_top1:.2f}% after the long-term fine-tune); "
              f"trajectory {result.trajectory}")
        print(f"  next: lightnets eval {result.final} --data {args.data}")
    return 0
