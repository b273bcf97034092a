"""`lightnets search --space mobilenet_v3 --budget-ms T --trials N --data PATH`: a small
platform-aware search (MnasNet): architectures sampled per stage, rejected by predicted
latency before training, the rest trained briefly and ranked by MnasNet's reward
(:mod:`lightnets.search.platform_aware`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .common import progress_lines
from .table import format_table, print_json

SPACES = ("mobilenet_v3", "mobilenet_v3_small")  # lightnets.search.space.SPACES, without importing it


def register(sub) -> None:
    p = sub.add_parser("search", help="platform-aware search: sample, reject by predicted latency, train briefly, "
                                      "rank by MnasNet's reward",
                       description="Sample architectures from a per-stage space around MobileNetV3's table (kernel "
                       "3/5/7, expansion 3/4/6, SE on/off, layers per stage), reject those whose latency the "
                       "lookup table predicts over --budget-ms, train the others for --epochs on the training "
                       "images less a held-out part, score them there and rank them by MnasNet's reward on their "
                       "measured latency. search.json, a table and search.png in --out; a killed search continues "
                       "with the same command.")
    p.add_argument("--space", choices=SPACES, default="mobilenet_v3", help="the search space (default mobilenet_v3)")
    p.add_argument("--budget-ms", type=float, required=True, help="target latency T of the reward, in ms")
    p.add_argument("--trials", type=int, default=20, help="architectures to sample (default 20)")
    p.add_argument("--data", required=True, help="data folder, or 'sample' for the embedded CIFAR-10 sample")
    p.add_argument("--resolution", type=int, default=32, help="input size of training and timing (default 32)")
    p.add_argument("--width", type=float, default=1.0, help="width multiplier of every point (default 1.0)")
    p.add_argument("--small-input", action="store_true", help="the small-input form (stem at stride 1)")
    p.add_argument("--epochs", type=int, default=1, help="training epochs per trial (default 1)")
    p.add_argument("--reward", choices=("soft", "hard"), default="soft", help="MnasNet's setting (default soft)")
    p.add_argument("--backend", default="ort-fp32", help="the backend latency is measured on (default ort-fp32)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads of the latency measurement (default 1)")
    p.add_argument("--recipe", default="sgd-cosine", help="training recipe (default sgd-cosine)")
    p.add_argument("--batch-size", type=int, default=64, help="training batch (default 64)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the recipe's)")
    p.add_argument("--held-out", type=float, default=0.1, help="share of the training images held out to score "
                                                               "the trials (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples, split and training (default 0)")
    p.add_argument("--out", default=None, help="output folder (default runs/search-<date>-<time>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.set_defaults(func=run)


def run(args) -> int:
    import torch

    from ..data import Preprocessing, open_data
    from ..models import create_model
    from ..models.base import describe_min_input
    from ..io import check_output_dir
    from ..search import open_table
    from ..search.pareto_plot import plot_front
    from ..search.platform_aware import PLOT, search
    from ..search.reward import mark_front
    from ..search.space import get_space

    space = get_space(args.space)
    out = check_output_dir(Path(args.out) if args.out else Path("runs") / f"search-{time.strftime('%Y%m%d-%H%M%S')}",
                           "--out")
    table = open_table(args.backend, args.threads, 1)
    if table.note:
        print(f"note: {table.note}", file=sys.stderr)
    with torch.device("meta"):  # the space's model for its input size and preprocessing: no memory, no init
        probe = create_model(space.model_name, small_input=args.small_input)
    if args.resolution < probe.min_input:
        raise ValueError(f"--resolution {args.resolution} is smaller than {space.model_name}'s "
                         f"{describe_min_input(probe.total_stride, probe.min_input)}"
                         f"{'' if args.small_input else ' (--small-input divides it by 4)'}")
    pre = Preprocessing.for_size(probe.default_cfg, probe.in_chans, args.resolution)
    data = open_data(args.data, pre=pre, seed=args.seed)
    say = progress_lines(args)
    records = search(space, budget_ms=args.budget_ms, trials=args.trials, data=data, pre=pre, table=table,
                     out_dir=out, epochs=args.epochs, width=args.width, small_input=args.small_input,
                     setting=args.reward, batch_size=args.batch_size, lr=args.lr, recipe=args.recipe,
                     held_out=args.held_out, seed=args.seed, progress=not args.no_progress, say=say)
    trained = [r for r in records if r["status"] == "trained"]
    front = {r["trial"] for r in mark_front(trained) if r["pareto"]}
    records = [{**r, "pareto": r["trial"] in front} for r in records]
    png = None
    if trained:
        png = plot_front(out / PLOT, [{**r, "label": str(r["trial"])} for r in records if r["status"] == "trained"],
                         f"{args.space} search on {args.backend}: {len(trained)} of {len(records)} trained",
                         ylabel="held-out top-1 (%)")
    ranked = sorted(records, key=lambda r: (r["reward"] is None, -(r["reward"] or 0)))
    if args.json:
        print_json({"space": args.space, "budget_ms": args.budget_ms, "backend": args.backend,
                    "threads": args.threads, "reward_setting": args.reward, "trials": ranked,
                    "trained": len(trained), "plot": png, "out_dir": out})
        return 0

    def summary(r: dict) -> str:
        return " ".join(f"k{c['kernel']}e{c['expansion']}{'s' if c['se'] else ''}x{c['layers']}" for c in r["choices"])

    print(format_table(
        ["trial", "stages (kernel, expansion, SE, layers)", "predicted (ms)", "measured (ms)", "held-out top-1 (%)",
         "reward", "Pareto"],
        [[r["trial"], summary(r), f"{r['predicted_ms']:.3f}",
          "-" if r["latency_ms"] is None else f"{r['latency_ms']:.3f}", "-" if r["top1"] is None else r["top1"],
          "rejected" if r["reward"] is None else f"{r['reward']:.2f}", "*" if r["pareto"] else ""] for r in ranked],
        title=f"{args.space} search, budget {args.budget_ms:g} ms on {args.backend} ({args.threads} thread(s)), "
              f"{args.reward} reward"))
    print(f"plot: {png}; trials: {out}" if png else f"no trial met the budget; trials: {out}")
    return 0
