"""`lightnets profile`: params, MACs and activations of one model, per layer or per op kind."""

from __future__ import annotations

import time

from .common import add_convention_arg, add_model_args, millions, model_from_args
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("profile", help="count params, MACs and activations of a model")
    add_model_args(p)
    p.add_argument("--per-layer", action="store_true", help="one row per layer")
    p.add_argument("--by-kind", action="store_true", help="totals and shares per op kind (1x1, depthwise, ...)")
    add_convention_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import KIND_LABELS, profile

    model = model_from_args(args)
    t0 = time.perf_counter()
    prof = profile(model, args.resolution, convention=args.convention)
    seconds = time.perf_counter() - t0
    if args.json:
        d = prof.to_dict(per_layer=args.per_layer)
        d.update(model=args.name, width=args.width, profile_seconds=seconds)
        print_json(d)
        return 0
    print(f"{args.name}  width={args.width:g}  input={'x'.join(map(str, prof.input_shape[1:]))}")
    print(f"  params      {prof.params:>14,}  ({args.convention} convention)")
    print(f"  MACs        {prof.macs:>14,}  (conv + FC multiply-adds; FLOPs = 2 x MACs = {prof.flops:,})")
    print(f"  elementwise {prof.elementwise:>14,}  (BN, activations, pooling, adds, SE multiplies; not in MACs)")
    print(f"  peak activation {prof.activation_peak:>10,}  elements = {prof.activation_peak * 4 / 2**20:.2f} MiB fp32 "
          "(largest layer output, batch 1)")
    print(f"  counted in {seconds * 1e3:.0f} ms")
    if args.per_layer:
        print()
        print(format_table(
            ["layer", "kind", "input", "output", "params", "MACs", "elementwise", "out elements"],
            [[r.name, r.kind, "x".join(map(str, r.in_shape)), "x".join(map(str, r.out_shape)),
              r.params, r.macs, r.elementwise, r.activations] for r in prof.rows],
        ))
    if args.by_kind:
        print()
        kinds = prof.by_kind()
        print(format_table(
            ["op kind", "layers", "MACs (M)", "MACs %", "params (M)", "params %", "elementwise (M)"],
            [[KIND_LABELS.get(k, k), int(d["layers"]), millions(d["macs"]), 100 * d["macs_share"],
              millions(d["params"]), 100 * d["params_share"], millions(d["elementwise"])]
             for k, d in kinds.items()],
            title=f"By op kind (params: {args.convention} convention)",
        ))
    return 0
