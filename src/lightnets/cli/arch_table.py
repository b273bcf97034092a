"""`lightnets table`: a network's architecture table as its paper prints it, each row's
input size, MACs and parameters computed at the width and resolution asked for."""

from __future__ import annotations

from .common import add_model_args, model_from_args, model_json
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("table", help="a network's architecture table as its paper prints it, with each row's cost")
    add_model_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.architecture_table import architecture_table

    table = architecture_table(model_from_args(args), args.resolution)
    if args.json:
        print_json({**model_json(args), **table.to_dict()})
        return 0
    print(format_table(["Input", *table.columns, "MACs", "params"],
                       [[row.input_text, *row.cells, row.macs, row.params] for row in table.rows],
                       title=f"{table.source}, width {args.width:g}, {args.resolution}x{args.resolution} input"))
    print(f"total: {table.macs:,} MACs, {table.params:,} parameters (every nn.Parameter the forward pass reads)")
    return 0
