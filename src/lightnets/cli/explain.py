"""`lightnets explain TOPIC`: the seeds' explanations, computed.

- ``relu-manifold``: MobileNetV2's Figure 1 (why the bottleneck projection is linear), the
  six panels as a PNG and the shape error per embedding dimension n.
- ``conv-tricks``: the survey's convolution tricks at a size you give: params, MACs, memory
  traffic, receptive field and measured CPU time of each construction beside the layer it
  replaces. ``conv-cost`` stays as the simplest case (standard vs depthwise separable).
- ``regularisation``: the CNN-history seed's dropout and data augmentation, measured: one
  small AlexNet trained four times on the embedded sample (with and without each), train
  and test top-1 per epoch in one PNG.
- ``design-rules``: ShuffleNet V2's four guidelines (Tables 1-4), each a set of networks of
  equal MACs that differ in one respect, counted (MACs, memory traffic) and timed on this CPU
  on eager and ONNX Runtime at two batches, beside the paper's GPU and ARM time ratios; a PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import parse_list
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("explain", help="the seeds' explanations, computed (relu-manifold, conv-tricks, "
                                          "regularisation, design-rules)")
    topics = p.add_subparsers(dest="topic", required=True, metavar="TOPIC")
    relu = topics.add_parser("relu-manifold", help="MobileNetV2 Fig. 1: a spiral through ReLU in n dimensions")
    relu.add_argument("--dims", default="2,3,5,15,30", help="embedding dimensions n (default: the figure's)")
    relu.add_argument("--trials", type=int, default=20, help="random matrices T per n, averaged (default 20)")
    relu.add_argument("--seed", type=int, default=0)
    relu.add_argument("--png", type=Path, default=Path("relu_manifold.png"), help="where to write the panels")
    relu.set_defaults(func=run_relu_manifold)
    tricks = topics.add_parser("conv-tricks", help="5x5 vs two 3x3, 7x7 vs 1x7+7x1, bottlenecks, groups, "
                                                   "depthwise separable, channel shuffle")
    tricks.add_argument("--input", default="28x28x64", metavar="HxWxC", help="input size (default 28x28x64)")
    tricks.add_argument("--out", type=int, default=None, help="output channels N (default: C)")
    tricks.add_argument("--groups", type=int, default=4, help="groups of the grouped convs (default 4)")
    tricks.add_argument("--bottleneck", type=int, default=None, help="bottleneck width (default C/4)")
    tricks.add_argument("--runs", type=int, default=20, help="timed runs per layer, 1 thread (0: count only)")
    tricks.set_defaults(func=run_conv_tricks)
    reg = topics.add_parser("regularisation", help="dropout and augmentation against overfitting: a small AlexNet "
                                                   "on the embedded sample, with and without each")
    reg.add_argument("--epochs", type=int, default=30, help="epochs of each of the four runs (default 30)")
    reg.add_argument("--width", type=float, default=0.125, help="AlexNet width multiplier (default 0.125)")
    reg.add_argument("--per-class", type=int, default=None, help="training images per class (default: all 500)")
    reg.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    reg.add_argument("--batch-size", type=int, default=64, help="training batch (default 64)")
    reg.add_argument("--seed", type=int, default=0)
    reg.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    reg.add_argument("--png", type=Path, default=Path("regularisation.png"), help="where to write the curves")
    reg.set_defaults(func=run_regularisation)
    rules = topics.add_parser("design-rules", help="ShuffleNet V2's guidelines G1-G4 measured: equal widths, group "
                                                   "convs, fragmentation, elementwise ops at equal MACs")
    rules.add_argument("--channels", type=int, default=64,
                       help="c, the width of each guideline's first network (default 64, a width every table's "
                            "ARM columns have)")
    rules.add_argument("--size", type=int, default=56, help="input height and width (default 56, the paper's)")
    rules.add_argument("--guidelines", default="G1,G2,G3,G4", help="which of G1,G2,G3,G4 (default: all)")
    rules.add_argument("--backends", default="eager,ort-fp32",
                       help="comma-separated: eager, eager-folded-cl, ort-fp32, ort-int8, executorch-fp32, "
                            "executorch-int8 (default eager,ort-fp32)")
    rules.add_argument("--batches", default="1,8", help="batch sizes timed (default 1,8)")
    rules.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    rules.add_argument("--warmup", type=int, default=2, help="untimed calls before each timing (default 2)")
    rules.add_argument("--runs", type=int, default=10, help="timed calls per network, backend, batch and round "
                                                            "(default 10; 0: count only)")
    rules.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median round stands "
                                                             "(default 3)")
    rules.add_argument("--png", type=Path, default=Path("design_rules.png"), help="where to write the panels")
    rules.set_defaults(func=run_design_rules)
    for topic in topics.choices.values():  # as on every command; SUPPRESS keeps `explain --json TOPIC`
        topic.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
        topic.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)


def run_relu_manifold(args) -> int:
    from ..explain.relu_manifold import plot_relu_manifold, relu_manifold

    result = relu_manifold(parse_list(args.dims, int, "--dims"), trials=args.trials, seed=args.seed)
    plot_relu_manifold(result, args.png)
    if args.json:
        print_json({**result.to_dict(), "png": args.png})
        return 0
    print(format_table(["n", "shape error", "spread over T"],
                       [[n, e, s] for n, e, s in zip(result.dims, result.errors, result.spread)],
                       title=f"a 2-D spiral embedded by a random n x 2 matrix T, ReLU, projected back by pinv(T); "
                             f"error after the best affine read-out, mean of {result.trials} draws of T"))
    print(f"panels: {args.png}. The error falls as n grows: ReLU keeps a low-dimensional manifold only in a "
          "space of much higher dimension, so MobileNetV2 ends its narrow bottleneck in a linear projection.")
    return 0


def run_conv_tricks(args) -> int:
    from ..explain import conv_tricks
    from .conv_cost import parse_input

    h, w, c = parse_input(args.input)
    out = c if args.out is None else args.out
    rows = conv_tricks(h, w, c, out, groups=args.groups, bottleneck=args.bottleneck, runs=args.runs)
    if args.json:
        print_json({"input": {"height": h, "width": w, "channels": c}, "out_channels": out, "groups": args.groups,
                    "runs": args.runs, "rows": [r.to_dict() for r in rows]})
        return 0
    baselines = {}
    table = []
    for r in rows:
        base = baselines.setdefault(r.trick, r)
        table.append([r.trick if base is r else "", r.layout, r.params, r.macs, f"{r.macs / base.macs:.3f}",
                      r.traffic / 1024, "x".join(map(str, r.receptive_field)),
                      "-" if r.median_ms is None else r.median_ms])
    print(format_table(["trick", "layers", "params", "MACs", "MACs / first", "traffic (KiB)", "field", "ms"], table,
                       title=f"{h}x{w}x{c} input -> {out} channels, stride 1, same padding, no bias; "
                             f"batch 1, 1 thread, median of {args.runs} runs"))
    print("MACs are not time: the layers that move many bytes per multiply-add (depthwise, grouped, the shuffle) "
          "save less time than MACs, or none.")
    return 0


def run_regularisation(args) -> int:
    import sys

    from ..explain.regularisation import plot_regularisation, regularisation

    def say(line: str) -> None:  # per-epoch lines on stderr, so that --json keeps stdout to the document
        print(line, file=sys.stderr, flush=True)

    result = regularisation(args.epochs, width=args.width, per_class=args.per_class, lr=args.lr,
                            batch_size=args.batch_size, seed=args.seed,
                            threads=args.threads, progress=say)
    plot_regularisation(result, args.png)
    if args.json:
        print_json({**result.to_dict(), "png": args.png})
        return 0
    print(format_table(["dropout", "augmentation", "train top-1 (%)", "test top-1 (%)", "gap (points)",
                        "best test (%)"],
                       [["yes" if r.dropout else "no", "yes" if r.augment else "no", r.train_top1[-1],
                         r.test_top1[-1], r.gap, max(r.test_top1)] for r in result.runs],
                       title=f"AlexNet small-input x{result.width:g} ({result.params:,} params), "
                             f"{result.train_images:,} train / {result.test_images:,} test images of the embedded "
                             f"sample, {result.epochs} epochs of Adam (lr {result.lr:g}); after the last epoch"))
    base = result.runs[0]
    narrower = [f"{r.label} ({r.gap:.1f})" for r in result.runs[1:] if r.gap < base.gap]
    print(f"curves: {args.png}. Train top-1 is on the training images as they are (eval mode); its gap to test "
          f"top-1 is the overfitting: {base.gap:.1f} points with neither regulariser, "
          + (f"narrower with {', '.join(narrower)}." if narrower else
             "and no regulariser narrowed it in this run (overfitting takes epochs: raise --epochs)."))
    return 0


def run_design_rules(args) -> int:
    from ..explain.design_rules import design_rules, plot_design_rules, thread_words
    from .common import progress_lines

    result = design_rules(args.channels, size=args.size, guidelines=parse_list(args.guidelines, str, "--guidelines"),
                          backends=parse_list(args.backends, str, "--backends"),
                          batches=parse_list(args.batches, int, "--batches"), threads=args.threads,
                          warmup=args.warmup, runs=args.runs, rounds=args.rounds, progress=progress_lines(args))
    plot_design_rules(result, args.png)
    if args.json:
        print_json({**result.to_dict(), "png": args.png})
        return 0
    for g in result.guidelines:
        print(guideline_table(result, g) + "\n")
    timed = (f"times are the median of {result.rounds} interleaved rounds of {result.runs} runs" if result.runs
             else "not timed (--runs 0)")
    print(f"c = {result.channels}, {result.size}x{result.size} input, {thread_words(result.threads)}; {timed}. "
          "Ratios are to each guideline's first network; traffic is fp32 bytes read and written at batch 1; the "
          "paper's ratios are its speeds as times (GPU at batch 8, ARM at batch 1) where it measured this c at "
          f"56x56. Panels: {args.png}")
    return 0


def guideline_table(result, guideline, title: bool = True) -> str:
    """One guideline's networks: counts, measured times and the paper's time ratios (also
    benchmarks/design_rules.py's tables, under headings of their own: ``title=False``)."""
    from ..explain.design_rules import PLATFORMS

    timings = [(b, n) for n in result.batches for b in result.backends] if result.runs else []
    rows = []
    for r in guideline.rows:
        times = {(t.backend, t.batch): t for t in r.times}
        rows.append([r.label, r.widths, r.macs / 1e6, f"{r.macs_ratio:.3f}", r.traffic / 1e6, f"{r.traffic_ratio:.2f}",
                     *(f"{times[k].median_ms:.2f} ({times[k].ratio:.2f})" for k in timings),
                     *("-" if p is None else f"{p:.2f}" for p in r.paper)])
    return format_table(["network", "widths", "MACs (M)", "MACs ratio", "traffic (MB)", "traffic ratio",
                         *(f"{b} b{n}: ms (ratio)" for b, n in timings), *(f"paper {p} ratio" for p in PLATFORMS)],
                        rows, title=f"{guideline.name} ({guideline.table}): {guideline.claim}" if title else None)
