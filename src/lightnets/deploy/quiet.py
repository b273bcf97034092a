"""Keep what libraries print past ``logging`` out of the user's terminal: the log lines of
ExecuTorch's C++ runtime (CPU probing as it starts, the reason a program fails to load) and
the progress onnxruntime.quantization's histogram calibration prints on stdout.

Python's warnings and ``logging`` records, ONNX Runtime's log level included, are the
application's to configure (the ``lightnets`` command hides them unless ``--verbose``);
these lines bypass all of that (native code writing to file descriptor 2, Python bindings
writing to ``sys.stderr``, plain ``print``), so only the code that calls into them can hold
them back. They show when the ``lightnets`` logger is enabled for INFO, as ``lightnets
--verbose`` sets it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Iterator


def verbose() -> bool:
    return logging.getLogger("lightnets").isEnabledFor(logging.INFO)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """While the block runs, send file descriptor 2 and ``sys.stderr`` to the null device.
    Python exceptions leave the block before they are printed, so they still show."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            with contextlib.redirect_stderr(null):
                yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def quiet_prints() -> Iterator[None]:
    """While the block runs, send ``sys.stdout`` to the null device, so that stdout keeps
    only the results a command prints."""
    if verbose():
        yield
        return
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        yield
