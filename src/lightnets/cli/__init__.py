"""The ``lightnets`` console script: one entry point, one module per subcommand.

The subcommand modules import torch and the other heavy libraries inside their ``run``
functions, so that building the parser (``lightnets --help``, ``lightnets CMD --help``)
imports none of them.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import CheckpointError, ExportError
from . import bench, conv_cost, convert, evaluate, export, grid, models, predict, profile, quantize, report, train
from .closed_output import survive_closed_output
from .verbosity import library_output

COMMANDS = (models, profile, grid, conv_cost, bench, report, convert, train, evaluate, predict, export, quantize)
VERBOSE_HELP = "show other libraries' warnings and log lines (hidden by default)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lightnets", description="Lightweight CNNs: build, count, measure."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    for command_parser in sub.choices.values():  # also after the command: `lightnets train ... -v`
        command_parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                    help=VERBOSE_HELP)
    return parser


def user_message(error: Exception) -> str:
    """The error's own message; for one re-raised from a DataLoader worker process (whose
    message quotes the worker's traceback), the original message, its last line."""
    message = str(error)
    if "Original Traceback" in message:
        last = message.rstrip().splitlines()[-1]
        kind = type(error)
        for prefix in (f"{kind.__module__}.{kind.__qualname__}: ", f"{kind.__name__}: "):
            last = last.removeprefix(prefix)
        return last
    return message


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with survive_closed_output(), library_output(verbose=args.verbose):
        try:
            return args.func(args) or 0
        except (ValueError, TypeError, CheckpointError, FileNotFoundError, ExportError) as e:
            print(f"lightnets {args.command}: error: {user_message(e)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"lightnets {args.command}: interrupted", file=sys.stderr)
            return 130
