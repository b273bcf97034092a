"""A network's architecture table as its paper prints it, with each row's cost computed.

A family describes its table (:class:`PaperTable`): the paper's columns, and one
:class:`TableRow` per printed row with the values of those columns and the modules whose
executed operations make the row. :func:`~lightnets.analysis.architecture_table` then adds what the paper
leaves to the reader, from a dispatch-level trace at the chosen resolution: each row's input
size, multiply-adds and parameters; the rows' MACs add up to the network's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableRow:
    modules: tuple[str, ...]  # qualified module names whose ops are this row ("head.pool", "stages.1")
    cells: tuple[object, ...]  # the paper's columns, in order ("-" where the paper prints none)


@dataclass(frozen=True)
class PaperTable:
    source: str  # the paper and table, e.g. "MobileNetV2 (arXiv:1801.04381), Table 2"
    columns: tuple[str, ...]  # the paper's columns after "Input"
    rows: tuple[TableRow, ...]
