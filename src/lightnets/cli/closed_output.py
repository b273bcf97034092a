"""Output whose reader has gone: ``lightnets models --json | head -1``, ``lightnets train ... | head -2``.

Python ignores SIGPIPE, so a write to a pipe nobody reads raises ``BrokenPipeError``,
which would end a training run at its next print, or, at the interpreter's final flush,
print "Exception ignored ... BrokenPipeError". Here the first broken write points the
stream's file descriptor at ``os.devnull`` (the Python documentation's recipe for
SIGPIPE), so the rest of the output, buffered bytes included, is dropped, while the
command runs to its end and exits with its own status.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, TextIO


class DropWhenReaderGone:
    """A text stream that forwards to ``stream`` until its reader goes, then discards."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._point_at_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._point_at_devnull()

    def _point_at_devnull(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def survive_closed_output() -> Iterator[None]:
    """Within the block, stdout and stderr drop output once their readers have gone; the
    block ends with a flush, so that an early-closed pipe is handled here and not at exit."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = DropWhenReaderGone(sys.stdout), DropWhenReaderGone(sys.stderr)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved
