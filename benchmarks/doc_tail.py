"""The hand-written analysis at the end of a generated benchmark document, kept when the
script rewrites the measured part above it."""

from __future__ import annotations

from pathlib import Path


def hand_written_tail(path: Path, heading: str) -> str:
    """``path``'s text from the line ``heading`` on (with its leading newline), or ''."""
    marker = f"\n{heading}\n"
    text = path.read_text() if path.is_file() else ""
    return text[text.index(marker):] if marker in text else ""
