"""Per-epoch metrics as JSON Lines and CSV, rewritten atomically from the whole history.

Each epoch rewrites both files from the run's history (which the checkpoint carries too),
through a temporary file and a rename: a killed run never leaves a torn line, and a
resumed run's log holds exactly the epochs its checkpoint has, once each.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Sequence

from ..io import atomic_write_text

JSONL, CSV = "metrics.jsonl", "metrics.csv"


def write_metrics(out_dir: str | os.PathLike, history: Sequence[dict[str, Any]]) -> tuple[Path, Path]:
    """Write ``out_dir/metrics.jsonl`` (one JSON object per epoch) and ``out_dir/metrics.csv``
    (one row per epoch, columns in order of first appearance)."""
    out_dir = Path(out_dir)
    jsonl, table = out_dir / JSONL, out_dir / CSV
    atomic_write_text(jsonl, "".join(json.dumps(record) + "\n" for record in history))
    columns = list(dict.fromkeys(key for record in history for key in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(table, buffer.getvalue())
    return jsonl, table


def read_metrics(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl`` file."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
