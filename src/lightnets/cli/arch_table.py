"""`lightnets table`: a network's architecture table as its paper prints it, each row's
input size, MACs and parameters computed at the width and resolution asked for."""

from __future__ import annotations

from .common import add_model_args, input_size, model_from_args, model_json
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("table", help="a network's architecture table as its paper prints it, with each row's cost")
    add_model_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.architecture_table import architecture_table

    model = model_from_args(args)
    size = input_size(args, model)
    table = architecture_table(model, size)
    if args.json:
        print_json({**model_json(args, model), **table.to_dict()})
        return 0
    print(format_table(["Input", *table.columns, "MACs", "params"],
                       [[row.input_text, *row.cells, row.macs, row.params] for row in table.rows],
                       title=f"{table.source}, width {model.config.get('width', args.width):g}, {size}x{size} input"))
    print(f"total: {table.macs:,} MACs, {table.params:,} parameters (every nn.Parameter the forward pass reads)")
    return 0
