"""Arguments shared by the subcommands that build a model."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import LightNet

# The parameter-counting conventions of lightnets.analysis, named here so that --help needs
# no torch; tests/cli check them against analysis.CONVENTIONS.
CONVENTIONS = ("pytorch", "conv_fc", "conv_fc_weights", "tf_checkpoint")


def add_model_args(parser: argparse.ArgumentParser, name_required: bool = True) -> None:
    parser.add_argument("name", nargs=None if name_required else "?",
                        help="registered model name (see `lightnets models`)")
    parser.add_argument("--width", type=float, default=1.0, help="width multiplier alpha (default 1.0)")
    parser.add_argument("--resolution", type=int, default=224, help="input size, the resolution multiplier (default 224)")
    parser.add_argument("--num-classes", type=int, default=1000, help="classifier outputs (default 1000)")


def add_convention_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--convention", choices=CONVENTIONS, default="pytorch", help="how parameters are counted")


def model_from_args(args: argparse.Namespace) -> LightNet:
    from ..models import create_model

    return create_model(args.name, width=args.width, resolution=args.resolution, num_classes=args.num_classes)


def parse_list(text: str, kind: type, what: str) -> list:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{what} must be a comma-separated list of {kind.__name__}s, got {text!r}") from None
    if not values:
        raise ValueError(f"{what} is empty")
    return values


def millions(n: int) -> float:
    return n / 1e6
