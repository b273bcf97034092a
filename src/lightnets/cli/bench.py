"""`lightnets bench`: batch-N CPU latency next to MACs, achieved GMAC/s and this machine's
measured matrix-multiply peak, across backends (PyTorch eager, BN-folded channels_last,
ONNX Runtime fp32 and int8, ExecuTorch/XNNPACK fp32 and int8), per layer kind, or across the
whole zoo as a PNG.

The peak is measured once per machine and thread count and cached (see
:mod:`lightnets.bench.peak`), so "% of peak" means the same from run to run; its spread over
the measuring rounds is printed beside it. Progress goes to stderr.
"""

from __future__ import annotations

from .common import add_model_args, model_from_args, parse_list
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure CPU latency (median and p90) across backends, per layer, or the zoo")
    add_model_args(p, name_required=False)
    p.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch's current)")
    p.add_argument("--batch-size", type=int, default=1, help="batch size (1 = latency; larger = throughput)")
    p.add_argument("--backends", default="eager",
                   help="comma-separated: eager, eager-folded-cl, ort-fp32, ort-int8, executorch-fp32, "
                        "executorch-int8, or 'all' (those installed; default eager)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--per-layer", action="store_true", help="time per op kind next to its share of MACs")
    p.add_argument("--zoo-png", default=None, metavar="FILE",
                   help="time every registered model (eager) and plot latency against MACs into FILE")
    p.add_argument("--remeasure-peak", action="store_true",
                   help="measure the matmul peak again instead of using this machine's cached one")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr (for logs)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import KIND_LABELS, profile
    from ..bench.backends import BACKENDS, available_backends, compare_backends
    from ..bench.peak import cached_peak

    if args.batch_size < 1 or args.runs < 1 or args.warmup < 0:
        raise ValueError(f"need --batch-size >= 1, --runs >= 1, --warmup >= 0; got {args.batch_size}, {args.runs}, "
                         f"{args.warmup}")
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {args.threads}")
    if args.zoo_png:
        return _zoo(args)
    if args.model is None:
        raise ValueError("give a model name, or --zoo-png FILE to time every model")
    backends = available_backends() if args.backends == "all" else tuple(parse_list(args.backends, str, "--backends"))
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {', '.join(unknown)}; valid: {', '.join(BACKENDS)}")
    model = model_from_args(args)
    macs = profile(model, args.resolution).macs * args.batch_size
    peak = cached_peak(args.threads, remeasure=args.remeasure_peak, progress=not args.no_progress)
    timings = compare_backends(model, args.resolution, backends, threads=args.threads, batch=args.batch_size,
                               warmup=args.warmup, runs=args.runs, progress=not args.no_progress)
    rows = [{"backend": name, **t.to_dict(), "gmac_per_s": macs / t.median_ms / 1e6,
             "peak_share": macs / t.median_ms / 1e6 / peak.gmacs, "floor_ms": macs / peak.gmacs / 1e6}
            for name, t in timings.items()]
    layers = None
    if args.per_layer:
        from ..bench.per_layer import per_layer_latency

        layers, _ = per_layer_latency(model, args.resolution, threads=args.threads, runs=args.runs)
    if args.json:
        print_json({"model": args.model, "width": args.width, "resolution": args.resolution, "macs": macs,
                    "matmul_peak_gmac_per_s": peak.gmacs, "matmul_peak": peak.to_dict(), "backends": rows,
                    "per_layer": [vars(k) for k in layers] if layers else None})
        return 0
    print(format_table(
        ["backend", "median (ms)", "p90 (ms)", "GMAC/s", "% of peak"],
        [[r["backend"], r["median_ms"], r["p90_ms"], r["gmac_per_s"], 100 * r["peak_share"]] for r in rows],
        title=f"{args.model} width={args.width:g} batch={args.batch_size} {args.resolution}x{args.resolution}, "
              f"{rows[0]['threads']} thread(s): {macs / 1e6:.1f}M MACs; matmul peak {peak.gmacs:.1f} GMAC/s "
              f"({_peak_note(peak)}), so the floor is {rows[0]['floor_ms']:.2f} ms",
    ))
    if layers:
        print()
        print(format_table(
            ["op kind", "layers", "time (ms)", "time %", "MACs %"],
            [[KIND_LABELS.get(k.kind, k.kind), k.layers, k.ms, 100 * k.time_share, 100 * k.macs_share]
             for k in layers],
            title="Eager time per op kind (per-layer hooks, batch 1) next to its share of multiply-adds",
        ))
    return 0


def _peak_note(peak) -> str:
    when = f"cached from {peak.measured_at}; --remeasure-peak to renew" if peak.cached else "measured now, cached"
    return f"best of {len(peak.rounds)} rounds, which spread {peak.low:.1f}-{peak.high:.1f}; {when}"


def _zoo(args) -> int:
    from ..analysis import profile
    from ..bench import measure_latency
    from ..bench.progress import steps
    from ..io import atomic_path
    from ..models import create_model, list_models

    rows = []
    names = list_models()
    bar = steps(len(names), "zoo", enabled=not args.no_progress)
    for name in names:
        bar.set_postfix_str(name)
        model = create_model(name)
        macs = profile(model, args.resolution).macs
        res = measure_latency(model, (args.batch_size, 3, args.resolution, args.resolution), threads=args.threads,
                              warmup=args.warmup, runs=args.runs)
        rows.append({"model": name, "macs": macs, **res.to_dict()})
        bar.update()
    bar.close()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter([r["macs"] / 1e6 for r in rows], [r["median_ms"] for r in rows])
    for r in rows:
        ax.annotate(r["model"], (r["macs"] / 1e6, r["median_ms"]), fontsize=8, xytext=(4, 2),
                    textcoords="offset points")
    ax.set(xlabel="MACs (M)", ylabel="batch-1 latency, median (ms)",
           title=f"Latency vs MACs, PyTorch eager, {rows[0]['threads']} thread(s), {args.resolution}x{args.resolution}")
    ax.grid(alpha=0.3)
    with atomic_path(args.zoo_png) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    if args.json:
        print_json(rows)
        return 0
    print(format_table(["model", "MACs (M)", "median (ms)", "p90 (ms)"],
                       [[r["model"], r["macs"] / 1e6, r["median_ms"], r["p90_ms"]] for r in rows]))
    print(f"plot: {args.zoo_png}")
    return 0
