"""The ``lightnets`` console script: one entry point, one module per subcommand."""

from __future__ import annotations

import argparse
import sys

from ..deploy.onnx_export import ExportError
from ..io import CheckpointError
from . import bench, conv_cost, convert, evaluate, export, grid, models, predict, profile, quantize, report, train

COMMANDS = (models, profile, grid, conv_cost, bench, report, convert, train, evaluate, predict, export, quantize)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lightnets", description="Lightweight CNNs: build, count, measure."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, CheckpointError, FileNotFoundError, ExportError) as e:
        print(f"lightnets {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lightnets {args.command}: interrupted", file=sys.stderr)
        return 130
