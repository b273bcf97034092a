"""Stage lines for the long steps of a command (export, calibration, lowering, checks): one
short line on stderr as each step starts, so stdout keeps only the results a script parses."""

from __future__ import annotations

import sys
from typing import Callable


def stage_printer(command: str) -> Callable[[str], None]:
    """``stage(message)`` prints ``lightnets COMMAND: message...`` to stderr."""
    def stage(message: str) -> None:
        print(f"lightnets {command}: {message}...", file=sys.stderr, flush=True)
    return stage
