"""A registered network's paper table with each row's input size, MACs and parameters, from
what executes (``lightnets table MODEL``).

The family says which modules make each printed row (:mod:`lightnets.models.paper_table`);
the costs come from the dispatch-level trace of :func:`~.profile.profile`, so a row's MACs
are those of the operations its modules issued, whatever they are. Every executed
operation with MACs or parameters must fall in exactly one row: the table then adds up to
the network, and a family table that forgets a layer fails loudly instead of
under-reporting.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import LightNet
from ..models.registry import get_entry
from .profile import LayerRow, profile


@dataclass(frozen=True)
class CostedRow:
    input: tuple[int, ...]  # the row's input, without the batch: (C, H, W), or (features,) after pooling
    cells: tuple[object, ...]
    macs: int
    params: int

    @property
    def input_text(self) -> str:
        """The paper's "Input" column: 224x224x3 (H x W x C), 1x1x1280 for a pooled vector."""
        shape = self.input if len(self.input) == 3 else (self.input[0], 1, 1)
        c, h, w = shape
        return f"{h}x{w}x{c}"


@dataclass(frozen=True)
class ArchitectureTable:
    source: str
    columns: tuple[str, ...]
    rows: tuple[CostedRow, ...]
    resolution: int
    macs: int  # the whole network's, equal to the rows' sum
    params: int

    def to_dict(self) -> dict:
        return {"source": self.source, "columns": ["Input", *self.columns, "MACs", "params"],
                "resolution": self.resolution, "macs": self.macs, "params": self.params,
                "rows": [{"input": row.input_text, "cells": list(row.cells), "macs": row.macs, "params": row.params}
                         for row in self.rows]}


def _in_row(layer: LayerRow, modules: tuple[str, ...]) -> bool:
    return any(layer.module == m or layer.module.startswith(m + ".") for m in modules)


def architecture_table(model: LightNet, resolution: int) -> ArchitectureTable:
    """``model``'s paper table (its registered family's) costed at ``resolution``."""
    name = model.config.get("name")
    entry = get_entry(name)
    if entry.table is None:
        raise ValueError(f"{name} has no paper table in lightnets yet; `lightnets profile {name} --per-layer` "
                         "lists its layers")
    table = entry.table(model)
    counted = profile(model, resolution)
    rows, claimed = [], set()
    for row in table.rows:
        layers = [i for i, layer in enumerate(counted.rows) if _in_row(layer, row.modules)]
        if not layers:
            raise RuntimeError(f"{table.source}: no executed operation under {row.modules}")  # a family table bug
        claimed.update(layers)
        first = counted.rows[layers[0]]
        rows.append(CostedRow(first.in_shape, row.cells, sum(counted.rows[i].macs for i in layers),
                              sum(counted.rows[i].params for i in layers)))
    missed = [layer.name for i, layer in enumerate(counted.rows)
              if i not in claimed and (layer.macs or layer.params)]
    if missed or sum(r.macs for r in rows) != counted.macs:
        raise RuntimeError(f"{table.source}: rows leave out {missed[:5]} or count a layer twice")
    return ArchitectureTable(table.source, table.columns, tuple(rows), resolution, counted.macs, counted.params)
