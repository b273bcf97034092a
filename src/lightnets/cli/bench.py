"""`lightnets bench`: batch-N CPU latency next to MACs, achieved GMAC/s and this machine's
measured matrix-multiply peaks, across backends (PyTorch eager, BN-folded channels_last,
ONNX Runtime fp32 and int8, ExecuTorch/XNNPACK fp32 and int8) or per layer kind.

Each backend is held to the peak of its precision: the fp32 backends to the fp32 matmul
peak, the int8 ones to the int8 (u8s8) peak, so that "% of peak" compares like with like and
stays below 100%. The peaks are measured once per machine and thread count and cached (see
:mod:`lightnets.bench.peak`), so "% of peak" means the same from run to run; both are printed
with their spread over the measuring rounds. Progress goes to stderr.
"""

from __future__ import annotations

from .common import (add_model_args, add_timing_args, check_timing_args, input_size, model_from_args, model_json,
                     parse_list)
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure CPU latency (median and p90) across backends or per layer")
    add_model_args(p)
    add_timing_args(p)
    p.add_argument("--backends", default="eager",
                   help="comma-separated: eager, eager-folded-cl, ort-fp32, ort-int8, executorch-fp32, "
                        "executorch-int8, or 'all' (those installed; default eager)")
    p.add_argument("--per-layer", action="store_true", help="time per op kind next to its share of MACs")
    p.add_argument("--predict", action="store_true", help="also predict each backend's latency from this machine's "
                                                          "latency table (its missing units measured and cached)")
    p.add_argument("--remeasure-peak", action="store_true",
                   help="measure the matmul peaks again instead of using this machine's cached ones")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import KIND_LABELS, profile
    from ..bench.backends import BACKENDS, available_backends, compare_backends, precision
    from ..bench.peak import cached_peak, int8_available

    check_timing_args(args)
    backends = available_backends() if args.backends == "all" else tuple(parse_list(args.backends, str, "--backends"))
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {', '.join(unknown)}; valid: {', '.join(BACKENDS)}")
    model = model_from_args(args)
    size = input_size(args, model)
    macs = profile(model, size).macs * args.batch_size
    progress = not args.no_progress
    peaks = {"fp32": cached_peak(args.threads, remeasure=args.remeasure_peak, progress=progress),
             "int8": cached_peak(args.threads, precision="int8", remeasure=args.remeasure_peak, progress=progress)
             if int8_available() else None}
    timings = compare_backends(model, size, backends, threads=args.threads, batch=args.batch_size,
                               warmup=args.warmup, runs=args.runs, progress=progress)
    rows = [_row(name, t, macs, precision(name), peaks[precision(name)]) for name, t in timings.items()]
    if args.predict:
        _predict(rows, model, size, args)
    layers = None
    if args.per_layer:
        from ..bench.per_layer import per_layer_latency

        layers, _ = per_layer_latency(model, size, threads=args.threads, runs=args.runs)
    if args.json:
        print_json({**model_json(args, model), "batch_size": args.batch_size, "macs": macs,
                    "peaks": {p: peak.to_dict() if peak else None for p, peak in peaks.items()}, "backends": rows,
                    "per_layer": [vars(k) for k in layers] if layers else None})
        return 0
    predicted = ["predicted (ms)", "error %"] if args.predict else []
    print(format_table(
        ["backend", "median (ms)", "p90 (ms)", "GMAC/s", "peak", "% of peak", "floor (ms)", *predicted],
        [[r["backend"], r["median_ms"], r["p90_ms"], r["gmac_per_s"], r["precision"],
          None if r["peak_share"] is None else 100 * r["peak_share"], r["floor_ms"],
          *([r["predicted_ms"], 100 * r["predicted_error"]] if args.predict else [])] for r in rows],
        title=f"{args.model} width={args.width:g} batch={args.batch_size} {size}x{size}, "
              f"{rows[0]['threads']} thread(s): {macs / 1e6:.1f}M MACs\n"
              f"matmul peaks: {_peak_note('fp32', peaks['fp32'])}; {_peak_note('int8', peaks['int8'])}\n"
              "each backend against the peak of its precision; floor = the MACs at that peak",
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


def _predict(rows: list[dict], model, size: int, args) -> None:
    """Each row's latency as this machine's latency table predicts it, and the relative
    error against the measured median."""
    from ..search import build_table, predict_latency

    for row in rows:
        table, _, _ = build_table(model, size, row["backend"], threads=row["threads"], batch=args.batch_size,
                                  progress=not args.no_progress)
        row["predicted_ms"] = predict_latency(model, size, table).total_ms
        row["predicted_error"] = row["predicted_ms"] / row["median_ms"] - 1


def _row(name: str, timing, macs: int, precision: str, peak) -> dict:
    """One backend's row: its timing, GMAC/s, and its share of (and floor at) the matmul peak
    of its precision (None where that peak could not be measured)."""
    gmacs = macs / timing.median_ms / 1e6
    return {"backend": name, **timing.to_dict(), "precision": precision, "gmac_per_s": gmacs,
            "peak_share": gmacs / peak.gmacs if peak else None, "floor_ms": macs / peak.gmacs / 1e6 if peak else None}


def _peak_note(precision: str, peak) -> str:
    if peak is None:
        return f"{precision} not measured (needs ONNX Runtime: pip install lightnets[deploy])"
    when = f"cached from {peak.measured_at}; --remeasure-peak to renew" if peak.cached else "measured now, cached"
    label = "int8 u8s8 (ONNX Runtime)" if precision == "int8" else "fp32 (PyTorch)"
    return (f"{label} {peak.gmacs:.1f} GMAC/s (best of {len(peak.rounds)} rounds, which spread "
            f"{peak.low:.1f}-{peak.high:.1f}; {when})")
