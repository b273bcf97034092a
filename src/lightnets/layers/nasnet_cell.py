"""NASNet's searched cells (Zoph et al. 2017, arXiv:1707.07012, Fig. 4), as TF-slim's ``nasnet_utils`` builds them.

A cell reads two hidden states: h0, its input (the last cell's output, through ReLU, a 1x1 conv to the cell's
``filters`` and BN), and h1, the output of the cell before (ReLU and a 1x1 conv with BN to ``filters`` where its
width differs, a :class:`~.factorized_reduction.FactorizedReduction` where its resolution is twice h0's, or as it
is where it already matches). Each of B = 5 blocks applies one operation to each of two states it picks and adds the
results, a new state; the cell outputs the concatenation of the states of ``concat``. The operations are

- ``separable_KxK_2``: twice ReLU, a KxK depthwise then 1x1 conv (no bias, no nonlinearity between), BN;
- ``avg_pool_3x3`` / ``max_pool_3x3``: a 3x3 pool (the average over image pixels only), then a 1x1 conv and BN
  when the state's width is not ``filters``;
- ``none``: the identity, or ReLU, a 1x1 conv and BN where the state needs a stride or another width.

In a reduction cell the operations on h0 and h1 have stride 2. Cells chain in an ``nn.Sequential``: ``forward``
takes the pair ``(h_prev, h)`` and returns ``(h, out)``; :class:`CellPair` starts the chain. A network's stages
pass the pair on; its feature map is the pair's last tensor (:func:`~lightnets.models.base.feature_map`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from .conv_norm_act import ConvNormAct
from .depthwise_separable import DepthwiseSeparableConv
from .factorized_reduction import FactorizedReduction
from .same_padding import padded_pool

OPERATION = re.compile(r"(?:separable_(\d)x\1_(\d)|(avg|max)_pool_(\d)x\4|none)")


@dataclass(frozen=True)
class CellSpec:
    """A searched cell: per block its two ``operations`` and the two states they read (``inputs``: 0 is h0, 1 is h1,
    2 + b block b's output), and the states the cell concatenates into its output."""

    name: str
    operations: tuple[str, ...]
    inputs: tuple[int, ...]
    concat: tuple[int, ...]

    def __post_init__(self):
        blocks = len(self.operations) // 2
        if len(self.operations) % 2 or len(self.inputs) != len(self.operations):
            raise ValueError(f"cell {self.name}: each block has two operations and two inputs")
        bad = [op for op in self.operations if not OPERATION.fullmatch(op)]
        if bad:
            raise ValueError(f"cell {self.name}: unknown operations {bad}; known: separable_KxK_N, avg_pool_KxK, "
                             "max_pool_KxK, none")
        if any(not 0 <= i < 2 + b // 2 for b, i in enumerate(self.inputs)):
            raise ValueError(f"cell {self.name}: a block reads h0, h1 or an earlier block's output")
        if not self.concat or any(not 0 <= i < 2 + blocks for i in self.concat):
            raise ValueError(f"cell {self.name}: the output concatenates some of states 0..{1 + blocks}")


# TF-slim's NasNetANormalCell and NasNetAReductionCell (the paper's Fig. 4)
NORMAL_A = CellSpec(
    "normal",
    ("separable_5x5_2", "separable_3x3_2", "separable_5x5_2", "separable_3x3_2", "avg_pool_3x3", "none",
     "avg_pool_3x3", "avg_pool_3x3", "separable_3x3_2", "none"),
    (0, 1, 1, 1, 0, 1, 1, 1, 0, 0),
    (1, 2, 3, 4, 5, 6),
)
REDUCTION_A = CellSpec(
    "reduction",
    ("separable_5x5_2", "separable_7x7_2", "max_pool_3x3", "separable_7x7_2", "avg_pool_3x3", "separable_5x5_2",
     "none", "avg_pool_3x3", "separable_3x3_2", "max_pool_3x3"),
    (0, 1, 0, 1, 0, 1, 3, 2, 2, 0),
    (3, 4, 5, 6),
)


def relu_conv_bn(in_chs: int, out_chs: int, stride: int = 1, bn_eps: float = 1e-3) -> nn.Sequential:
    """ReLU, a 1x1 conv (no bias), BN: how a NASNet cell brings a state to its width."""
    return nn.Sequential(nn.ReLU(), ConvNormAct(in_chs, out_chs, 1, stride, act=None, bn_eps=bn_eps))


def make_operation(operation: str, in_chs: int, filters: int, stride: int, padding: str, bn_eps: float) -> nn.Module:
    """One of a cell's operations on a state of ``in_chs`` channels, to ``filters`` channels."""
    separable_k, layers, pool, pool_k = OPERATION.fullmatch(operation).groups()
    if separable_k:
        stack = []
        for i in range(int(layers)):
            stack += [nn.ReLU(), DepthwiseSeparableConv(in_chs if i == 0 else filters, filters, stride if i == 0 else 1,
                                                        int(separable_k), act=None, bn_eps=bn_eps, dw_norm_act=False,
                                                        padding=padding)]
        return nn.Sequential(*stack)
    if pool:
        pooled = padded_pool(pool, int(pool_k), stride, padding)
        return pooled if in_chs == filters else nn.Sequential(pooled, ConvNormAct(in_chs, filters, 1, act=None,
                                                                                    bn_eps=bn_eps))
    return nn.Identity() if stride == 1 and in_chs == filters else relu_conv_bn(in_chs, filters, stride, bn_eps)


class NasNetCell(nn.Module):
    """A cell of ``spec`` whose input has ``in_chs`` channels and whose previous cell's output has ``prev_chs``, at
    ``prev_stride`` (2: twice the input's resolution); ``stride`` 2 makes it a reduction cell. ``adapt_prev=False``
    reads h1 as it comes (TF-slim's first stem cell, whose h1 is its own input). ``skip_input=True`` passes the
    cell's own h1 on as the next cell's h1, instead of its input (TF-slim's ``skip_reduction_layer_input``, on
    NASNet-A large's reduction cells)."""

    def __init__(self, spec: CellSpec, in_chs: int, prev_chs: int, filters: int, stride: int = 1,
                 prev_stride: int = 1, adapt_prev: bool = True, skip_input: bool = False, padding: str = "symmetric",
                 bn_eps: float = 1e-3):
        super().__init__()
        if stride not in (1, 2) or prev_stride not in (1, 2):
            raise ValueError(f"a NASNet cell's stride and its previous cell's are 1 or 2, got {stride}, {prev_stride}")
        if filters < 1:
            raise ValueError(f"a NASNet cell needs at least 1 filter, got {filters}")
        if not adapt_prev and prev_stride != 1:
            raise ValueError("a previous state at another resolution must be adapted (adapt_prev=True)")
        if prev_stride == 2:
            self.prev = nn.Sequential(nn.ReLU(), FactorizedReduction(prev_chs, filters, 2, bn_eps))
        elif adapt_prev and prev_chs != filters:
            self.prev = relu_conv_bn(prev_chs, filters, bn_eps=bn_eps)
        else:
            self.prev = nn.Identity()
        self.base = relu_conv_bn(in_chs, filters, bn_eps=bn_eps)
        state_chs = [filters, filters if adapt_prev else prev_chs]
        self.ops = nn.ModuleList()
        for b, (operation, state) in enumerate(zip(spec.operations, spec.inputs)):
            self.ops.append(make_operation(operation, state_chs[state], filters, stride if state < 2 else 1, padding,
                                           bn_eps))
            if b % 2:
                state_chs.append(filters)
        if any(state_chs[i] != filters or (stride == 2 and i < 2) for i in spec.concat):
            raise ValueError(f"the {spec.name} cell concatenates a state whose width or resolution is not its "
                             "output's")
        self.inputs, self.concat, self.skip_input = spec.inputs, spec.concat, skip_input
        self.out_chs = filters * len(spec.concat)

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        prev, x = pair
        states = [self.base(x), self.prev(prev)]
        for b in range(0, len(self.ops), 2):
            states.append(self.ops[b](states[self.inputs[b]]) + self.ops[b + 1](states[self.inputs[b + 1]]))
        return prev if self.skip_input else x, torch.cat([states[i] for i in self.concat], 1)


class CellPair(nn.Module):
    """The pair ``(x, x)`` the first cell of a NASNet reads (TF-slim's first stem cell has no cell before it and
    reads its input as both h0 and h1)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, x
