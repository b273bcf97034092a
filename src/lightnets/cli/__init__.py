"""The ``lightnets`` console script: one entry point, one module per subcommand.

The subcommand modules import torch and the other heavy libraries inside their ``run``
functions, so that building the parser (``lightnets --help``, ``lightnets CMD --help``)
imports none of them.

Every subcommand takes ``--json`` (one JSON document on stdout, with the same top-level keys
whatever the other options, null where one does not apply; see ``table.json_stdout``) and
``--verbose``. A mistake a user can make raises one of :data:`USER_ERRORS` and ends in one
line, ``lightnets CMD: error: ...``, and exit code 2; any other exception is a bug in
lightnets and shows its traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import ExportError
from . import (arch_table, bench, conv_cost, convert, embed, evaluate, explain, export, grid, latency_table, models,
               netadapt, predict, profile, quantize, report, search, sweep, train, zoo_plot)
from .closed_output import survive_closed_output
from .common import resolve_model_kwargs
from .table import json_stdout
from .verbosity import library_output

COMMANDS = (models, profile, arch_table, grid, conv_cost, explain, bench, latency_table, sweep, netadapt, search,
            zoo_plot, report, convert, train, evaluate, predict, embed, export, quantize)
# ValueError covers CheckpointError, DataError and ArtefactError; FileNotFoundError a missing
# input file; ExportError an artefact that does not reproduce the model it came from.
USER_ERRORS = (ValueError, FileNotFoundError, ExportError)
VERBOSE_HELP = "show other libraries' warnings and log lines (hidden by default)"
JSON_HELP = "machine-readable output: one JSON document on stdout, everything else on stderr"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lightnets", description="Lightweight CNNs: build, count, measure."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    for command_parser in sub.choices.values():  # also after the command: `lightnets train ... -v`
        command_parser.add_argument("--json", action="store_true", help=JSON_HELP)
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
    with survive_closed_output(), library_output(verbose=args.verbose), json_stdout(args.json):
        try:
            resolve_model_kwargs(args)
            return args.func(args) or 0
        except USER_ERRORS as e:
            print(f"lightnets {args.command}: error: {user_message(e)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"lightnets {args.command}: interrupted", file=sys.stderr)
            return 130
