"""Read the bundled table of published numbers."""

from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[dict, ...]:
    text = resources.files(__package__).joinpath("published.json").read_text()
    return tuple(json.loads(text))


def load_published(model: str | None = None) -> list[dict]:
    """All rows, or those whose ``model`` field equals ``model``."""
    return [dict(r) for r in _rows() if model is None or r["model"] == model]


def find_row(model: str, variant: str, source_prefix: str = "") -> dict:
    """The one row with this model, variant and source prefix (a KeyError names the miss)."""
    hits = [r for r in _rows() if r["model"] == model and r["variant"] == variant
            and r["source"].startswith(source_prefix)]
    if len(hits) != 1:
        raise KeyError(f"{len(hits)} published rows for {model!r} / {variant!r} / {source_prefix!r}")
    return dict(hits[0])
