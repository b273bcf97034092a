"""`lightnets models`: every registered model with its params and MACs at its default size."""

from __future__ import annotations

from .common import millions
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("models", help="list registered models with params and MACs")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. 'mobilenet_v3*'")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import profile
    from ..models import MODELS, create_model, list_models

    import torch

    names = list_models(args.pattern)
    if not names:
        raise ValueError(f"no model matches {args.pattern!r}; registered: {', '.join(list_models())}")
    rows = []
    for name in names:
        with torch.device("meta"):  # counted from shapes alone: no weights drawn, no arithmetic done
            model = create_model(name)
        size = model.default_cfg["input_size"][-1]
        prof = profile(model, size)
        rows.append({"name": name, "input": size, "params": prof.params, "macs": prof.macs,
                     "paper": MODELS[name].paper})
    if args.json:
        print_json({"pattern": args.pattern, "param_convention": "pytorch", "models": rows})
        return 0
    print(format_table(
        ["model", "input", "params (M)", "MACs (M)", "paper"],
        [[r["name"], r["input"], millions(r["params"]), millions(r["macs"]), r["paper"]] for r in rows],
        title="Params: every nn.Parameter (PyTorch convention), each family's classes (1000; LeNet-5, NIN: 10). "
              "MACs: conv + FC multiply-adds.",
    ))
    return 0
