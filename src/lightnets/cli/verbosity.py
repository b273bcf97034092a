"""Quiet by default: other libraries' warnings and log lines stay out of a command's output
unless ``lightnets --verbose``.

Without ``--verbose``:

- Python warnings are ignored (those of torch, onnx, onnxruntime, torchao, executorch,
  matplotlib and every other library), unless the user asked for some with ``-W`` or
  ``PYTHONWARNINGS``;
- C++ log lines are limited to errors where the library reads its level from the
  environment when it loads: torch's (``TORCH_CPP_LOG_LEVEL``) and glog's
  (``GLOG_minloglevel``). These are set before any command imports torch, and only where
  the user has not set them;
- ONNX Runtime's default logger reports errors only (``set_default_logger_severity(3)``),
  applied when the command imports onnxruntime;
- the ``logging`` records of other libraries show from ERROR up (torch's logger is set
  again right after torch loads, because torch sets its own level as it loads).

lightnets' own loggers (``logging.getLogger("lightnets....")``) print on stderr from
WARNING up; ``--verbose`` enables them from DEBUG up, which is also how library code asks
whether the user wants to see more (``logging.getLogger("lightnets").isEnabledFor(INFO)``,
as ``deploy.quiet`` does), and shows every library's INFO records and all warnings.
Everything is restored when the command ends.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import os
import sys
import warnings
from typing import Iterator

QUIET_ENVIRONMENT = {"TORCH_CPP_LOG_LEVEL": "ERROR", "GLOG_minloglevel": "2"}
LIBRARY_LOGGERS = ("torch", "onnx", "onnxruntime", "onnxscript", "torchao", "executorch", "matplotlib", "PIL")
ORT_ERROR, ORT_WARNING = 3, 2  # onnxruntime severities; WARNING is its default


@contextlib.contextmanager
def library_output(verbose: bool) -> Iterator[None]:
    """Show (``verbose``) or hide other libraries' warnings and log lines within the block."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        if not sys.warnoptions:
            warnings.simplefilter("default" if verbose else "ignore")
        stack.enter_context(_logging(verbose))
        if not verbose:
            stack.enter_context(_environment(QUIET_ENVIRONMENT))
            stack.enter_context(_onnxruntime_severity(ORT_ERROR))
            # torch sets its own logger's level (WARNING) as it loads, over ours.
            stack.enter_context(_when_loaded("torch", lambda torch: logging.getLogger("torch").setLevel(logging.ERROR)))
        yield


@contextlib.contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root, ours = logging.getLogger(), logging.getLogger("lightnets")
    others = [root] + ([] if verbose else [logging.getLogger(n) for n in LIBRARY_LOGGERS])
    saved = {logger: logger.level for logger in [ours, *others]}
    for logger in others:
        logger.setLevel(logging.INFO if verbose else logging.ERROR)
    ours.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for logger, level in saved.items():
            logger.setLevel(level)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    added = [name for name in values if name not in os.environ]
    os.environ.update({name: values[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextlib.contextmanager
def _when_loaded(name: str, then) -> Iterator[None]:
    """Run ``then(module)`` now if the module ``name`` is loaded, else right after it loads
    within the block."""
    hook = _AfterImport(name, then)
    if name in sys.modules:
        then(sys.modules[name])
    else:
        sys.meta_path.insert(0, hook)
    try:
        yield
    finally:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)


@contextlib.contextmanager
def _onnxruntime_severity(severity: int) -> Iterator[None]:
    """Set ONNX Runtime's default logger severity now if it is loaded, else as it loads."""
    with _when_loaded("onnxruntime", lambda ort: ort.set_default_logger_severity(severity)):
        try:
            yield
        finally:
            if "onnxruntime" in sys.modules:
                sys.modules["onnxruntime"].set_default_logger_severity(ORT_WARNING)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``then(module)`` right after the module ``name`` is first executed."""

    def __init__(self, name: str, then):
        self.name, self.then = name, then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once, and so that the finders below find the real spec
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module

                def exec_then(module):
                    exec_module(module)
                    self.then(module)

                spec.loader.exec_module = exec_then
                return spec
        return None
