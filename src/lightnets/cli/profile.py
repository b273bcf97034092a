"""`lightnets profile`: params, MACs and activations of one model, per layer or per op kind."""

from __future__ import annotations

import time

from .common import add_convention_arg, add_model_args, input_size, millions, model_from_args, model_json
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("profile", help="count params, MACs and activations of a model")
    add_model_args(p)
    p.add_argument("--per-layer", action="store_true", help="one row per layer")
    p.add_argument("--by-kind", action="store_true", help="totals and shares per op kind (1x1, depthwise, ...)")
    add_convention_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import KIND_LABELS, profile

    model = model_from_args(args)
    t0 = time.perf_counter()
    prof = profile(model, input_size(args, model), convention=args.convention)
    seconds = time.perf_counter() - t0
    if args.json:
        counts = prof.to_dict(per_layer=args.per_layer)
        print_json({**model_json(args, model), **counts, "layers": counts.get("layers"), "profile_seconds": seconds})
        return 0
    variant = "".join(f"  {key}={value}" for key, value in args.model_kwargs.items())
    print(f"{args.model}  width={args.width:g}  input={'x'.join(map(str, prof.input_shape[1:]))}{variant}")
    print(f"  params      {prof.params:>14,}  ({args.convention} convention)")
    print(f"  MACs        {prof.macs:>14,}  (conv + FC multiply-adds; FLOPs = 2 x MACs = {prof.flops:,})")
    print(f"  elementwise {prof.elementwise:>14,}  (BN, activations, pooling, adds, multiplies; not in MACs)")
    print(f"  traffic     {prof.traffic / 2**20:>14.2f}  MiB read + written at fp32, {prof.macs / max(prof.traffic, 1):.2f} "
          "MACs per byte")
    print(f"  peak memory {prof.peak_activation_bytes / 2**20:>14.2f}  MiB of activations alive at once (fp32, batch 1; "
          f"largest single output {prof.largest_activation * 4 / 2**20:.2f} MiB)")
    if prof.unexecuted_params:
        print(f"  unexecuted  {prof.unexecuted_params:>14,}  parameters no op read (not in the count above)")
    print(f"  counted in {seconds * 1e3:.0f} ms")
    if args.per_layer:
        print()
        print(format_table(
            ["layer", "kind", "input", "output", "params", "MACs", "elementwise", "traffic (KiB)", "MACs/byte"],
            [[r.name, r.kind, "x".join(map(str, r.in_shape)), "x".join(map(str, r.out_shape)),
              r.params, r.macs, r.elementwise, r.traffic / 1024, r.intensity] for r in prof.rows],
        ))
    if args.by_kind:
        print()
        kinds = prof.by_kind()
        print(format_table(
            ["op kind", "ops", "MACs (M)", "MACs %", "params (M)", "params %", "elementwise (M)", "traffic %",
             "MACs/byte"],
            [[KIND_LABELS.get(k, k), int(d["layers"]), millions(d["macs"]), 100 * d["macs_share"],
              millions(d["params"]), 100 * d["params_share"], millions(d["elementwise"]), 100 * d["traffic_share"],
              d["intensity"]]
             for k, d in kinds.items()],
            title=f"By op kind (params: {args.convention} convention)",
        ))
    return 0
