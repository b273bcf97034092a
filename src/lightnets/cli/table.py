"""Plain-text tables for the terminal, and the one JSON document of ``--json``.

While a command runs with ``--json`` (:func:`json_stdout`), ``sys.stdout`` is stderr, so
that every line it or a library prints for people (progress, stage lines, notes) lands
there, and stdout carries exactly the document :func:`print_json` writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any, Iterator, Sequence, TextIO

_document_stream: TextIO | None = None  # the real stdout while a --json command runs


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(r[i]) for r in rows) if rows else False for i in range(len(headers))]

    def line(r):
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric)).rstrip()

    out = [title] if title else []
    out += [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


@contextlib.contextmanager
def json_stdout(enabled: bool) -> Iterator[None]:
    """Within the block (if ``enabled``), print to stderr; only :func:`print_json` reaches stdout."""
    global _document_stream
    if not enabled:
        yield
        return
    _document_stream = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _document_stream = None


def print_json(obj: Any) -> None:
    stream = _document_stream or sys.stdout
    stream.write(json.dumps(obj, indent=2, default=_json_default) + "\n")
    stream.flush()


def _json_default(o):
    if isinstance(o, os.PathLike):
        return os.fspath(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return "" if v is None else str(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or v is None
