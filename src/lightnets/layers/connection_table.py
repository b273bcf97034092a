"""A convolution with a connection table: each output map sees only some of the input maps.

LeNet-5's C3 (LeCun et al. 1998, Section II.B and Table I): "The first six C3 feature maps
take inputs from every contiguous subsets of three feature maps in S2. The next six take
input from every contiguous subset of four. The next three take input from some
discontinuous subsets of four. Finally, the last one takes input from all S2 feature maps."
The table keeps the number of connections in bounds and breaks the symmetry of the
network: C3 has 1,516 trainable parameters where a full 5x5 conv from 6 to 16 maps has 2,416.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .activations import make_activation


class FanInGroup(nn.Module):
    """The output maps of a connection table with the same number of inputs: their input maps
    gathered side by side (``inputs``, one run of ``fan_in`` indices per output map), then one
    grouped convolution with a group per output map, so the weights are exactly the table's
    connections and the MACs exactly the connected ones."""

    def __init__(self, inputs: Sequence[int], maps: int, kernel_size: int, padding: int):
        super().__init__()
        self.register_buffer("inputs", torch.tensor(inputs, dtype=torch.long), persistent=False)
        self.conv = nn.Conv2d(len(inputs), maps, kernel_size, padding=padding, groups=maps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.index_select(1, self.inputs))


class ConnectionTableConv(nn.Module):
    """A k x k convolution from ``in_chs`` maps in which output map j reads only the input maps
    ``table[j]``, then an activation.

    Output maps are grouped by their number of inputs (:class:`FanInGroup`, one grouped
    convolution each); their outputs are concatenated and, where the table does not list
    equal fan-ins together, put back in table order. Every output map has its own bias.
    """

    def __init__(self, in_chs: int, table: Sequence[Sequence[int]], kernel_size: int, padding: int = 0,
                 act: str | None = "tanh"):
        super().__init__()
        rows = [tuple(row) for row in table]
        for j, row in enumerate(rows):
            if not row or len(set(row)) != len(row) or not all(isinstance(i, int) and 0 <= i < in_chs for i in row):
                raise ValueError(f"connection table row {j} must list distinct input maps from 0 to {in_chs - 1}, "
                                 f"got {row!r}")
        fan_ins = list(dict.fromkeys(len(row) for row in rows))
        members = [[j for j, row in enumerate(rows) if len(row) == f] for f in fan_ins]
        self.in_chs, self.out_chs, self.table = in_chs, len(rows), tuple(rows)
        self.groups = nn.ModuleList(
            FanInGroup([i for j in maps for i in rows[j]], len(maps), kernel_size, padding) for maps in members
        )
        order = [j for maps in members for j in maps]
        self.reorder = order != list(range(len(rows)))
        self.register_buffer("positions", torch.tensor([order.index(j) for j in range(len(rows))]), persistent=False)
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([group(x) for group in self.groups], 1)
        return self.act(y.index_select(1, self.positions) if self.reorder else y)
