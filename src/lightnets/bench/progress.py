"""A progress bar on stderr for the slow steps of a measurement (exports, timing rounds, the
peak), so that a run of minutes is not silent. tqdm draws it where it is installed (the
``train`` extra brings it); the core install, torch and numpy only, runs the steps without one.
"""

from __future__ import annotations

import importlib.util
import sys


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to draw."""

    def set_postfix_str(self, text: str) -> None:
        """Nothing to draw."""

    def close(self) -> None:
        """Nothing to draw."""


def steps(total: int, desc: str, enabled: bool = True):
    """A bar of ``total`` steps labelled ``desc``: ``update()`` after each step,
    ``set_postfix_str(what)`` to say which one runs, ``close()`` at the end."""
    if enabled and importlib.util.find_spec("tqdm") is not None:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="step", leave=False, file=sys.stderr, dynamic_ncols=True)
    return _NoBar()
