"""`lightnets grid`: the width x resolution trade-off table (MobileNetV1 Tables 6 and 7)."""

from __future__ import annotations

from .common import add_convention_arg, add_model_args, millions, model_json, parse_list
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("grid", help="MACs and params over width multipliers x input resolutions")
    add_model_args(p, sizes=False)
    p.add_argument("--widths", default="1,0.75,0.5,0.25", help="comma-separated width multipliers")
    p.add_argument("--resolutions", default="224,192,160,128", help="comma-separated input sizes")
    add_convention_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import profile
    from ..models import create_model

    widths = parse_list(args.widths, float, "--widths")
    resolutions = parse_list(args.resolutions, int, "--resolutions")
    cells = []
    for w in widths:
        for r in resolutions:
            model = create_model(args.model, width=w, resolution=r, num_classes=args.num_classes,
                                 in_chans=args.in_chans, **args.model_kwargs)
            prof = profile(model, r, convention=args.convention)
            cells.append({"width": w, "resolution": r, "params": prof.params, "macs": prof.macs})
    if args.json:
        print_json({**model_json(args, model), "param_convention": args.convention, "widths": widths,
                    "resolutions": resolutions, "cells": cells})
        return 0
    by = {(c["width"], c["resolution"]): c for c in cells}
    print(format_table(
        ["width", "params (M)"] + [f"MACs@{r} (M)" for r in resolutions],
        [[f"{w:g}", millions(by[w, resolutions[0]]["params"])] + [millions(by[w, r]["macs"]) for r in resolutions]
         for w in widths],
        title=f"{args.model}: multiply-adds by width x resolution (params: {args.convention} convention, "
              f"{model.num_classes} classes)",
    ))
    return 0
