"""The Inception module: parallel branches on one input, their outputs concatenated.

GoogLeNet (Szegedy et al. 2014, arXiv:1409.4842, Section 4 and Fig. 2b): 1x1, 1x1 -> 3x3,
1x1 -> 5x5 and 3x3 max pool -> 1x1 branches, concatenated along the channels. Every later
Inception is the same idea with other branch tables: BN-Inception's double 3x3 (Ioffe &
Szegedy 2015, arXiv:1502.03167, Fig. 5), Inception v3's factorised n x 1 / 1 x n convs and
its "expanded filter bank" whose last layer forks into a 1x3 and a 3x1 conv (Szegedy et al.
2015, arXiv:1512.00567, Figs. 5-7), the grid-size reductions with a stride-2 pool branch
(ibid. Fig. 10) and Inception-v4's modules (arXiv:1602.07261, Figs. 3-8).

So one module, built from a table: a :class:`Branch` is a sequence of :class:`Conv` (a
ConvNormAct) and :class:`Pool` specs, optionally ending in a ``fork`` of branches whose
outputs are concatenated (itself an Inception module). A branch that is only a pool passes
the input's channels through.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

import torch
from torch import nn

from .conv_norm_act import ConvNormAct
from .make_divisible import scale_width


@dataclass(frozen=True)
class Conv:
    """A ConvNormAct: c = output channels, k = kernel (an int or (kh, kw): 1x7 is (1, 7)),
    s = stride, p = padding (None: "same" at stride 1, kernel // 2 per side; 0: valid)."""

    c: int
    k: int | tuple[int, int] = 1
    s: int = 1
    p: int | tuple[int, int] | None = None


POOLS = ("max", "avg")


@dataclass(frozen=True)
class Pool:
    """A max or average pool: kind = "max" / "avg", k = kernel, s = stride, p = padding;
    ``ceil_mode`` as Caffe rounds (GoogLeNet), ``count_include_pad=False`` for averages over
    the valid pixels only (Inception-v4's TF ports)."""

    kind: str
    k: int = 3
    s: int = 1
    p: int = 0
    ceil_mode: bool = False
    count_include_pad: bool = True

    def __post_init__(self):
        if self.kind not in POOLS:
            raise ValueError(f"pool kind must be one of {', '.join(POOLS)}, got {self.kind!r}")


Layer = Union[Conv, Pool]


@dataclass(frozen=True)
class Branch:
    """One branch of an Inception module: ``layers`` in sequence, then an optional ``fork``
    of branches on their output, concatenated (Inception v3 Fig. 7: 1x1 -> [1x3, 3x1])."""

    layers: tuple[Layer, ...]
    fork: tuple[Branch, ...] = ()

    def scaled(self, width: float) -> Branch:
        """The branch with every conv's channels scaled by the width multiplier."""
        return Branch(
            tuple(replace(layer, c=scale_width(layer.c, width)) if isinstance(layer, Conv) else layer
                  for layer in self.layers),
            tuple(b.scaled(width) for b in self.fork),
        )


def make_pool(spec: Pool) -> nn.Module:
    if spec.kind == "max":
        return nn.MaxPool2d(spec.k, spec.s, spec.p, ceil_mode=spec.ceil_mode)
    return nn.AvgPool2d(spec.k, spec.s, spec.p, ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad)


def out_channels(branches: tuple[Branch, ...], in_chs: int) -> int:
    """The concatenated output channels of ``branches`` on an ``in_chs``-channel input."""
    total = 0
    for branch in branches:
        chs = in_chs
        for layer in branch.layers:
            chs = layer.c if isinstance(layer, Conv) else chs
        total += out_channels(branch.fork, chs) if branch.fork else chs
    return total


class InceptionModule(nn.Module):
    """Parallel branches from a table of :class:`Branch` specs, outputs concatenated.

    ``branches.i`` is branch i as an ``nn.Sequential`` of its layers (ConvNormAct ``conv``
    / ``bn`` / ``act``, pools), a fork being its last entry (a nested InceptionModule).
    ``out_chs`` is the concatenated width; ``attn`` a module applied to the concatenation (SENet's SE-Inception
    module, Fig. 2).
    """

    def __init__(self, in_chs: int, branches: tuple[Branch, ...], act: str | None = "relu", bn_eps: float = 1e-5,
                 attn: nn.Module | None = None):
        super().__init__()
        if not branches:
            raise ValueError("an Inception module needs at least one branch")
        self.out_chs = out_channels(branches, in_chs)
        self.branches = nn.ModuleList(self._branch(in_chs, b, act, bn_eps) for b in branches)
        self.attn = attn

    @staticmethod
    def _branch(in_chs: int, spec: Branch, act: str | None, bn_eps: float) -> nn.Sequential:
        layers: list[nn.Module] = []
        chs = in_chs
        for layer in spec.layers:
            if isinstance(layer, Conv):
                layers.append(ConvNormAct(chs, layer.c, layer.k, layer.s, act=act, bn_eps=bn_eps, padding=layer.p))
                chs = layer.c
            else:
                layers.append(make_pool(layer))
        if spec.fork:
            layers.append(InceptionModule(chs, spec.fork, act, bn_eps))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.cat([branch(x) for branch in self.branches], 1)
        return out if self.attn is None else self.attn(out)
