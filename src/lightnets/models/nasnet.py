"""NASNet-A (Zoph et al. 2017, arXiv:1707.07012), as TF-slim's ``nasnet.py`` builds its mobile and large models.

The searched normal and reduction cells (:mod:`lightnets.layers.nasnet_cell`) are stacked as the paper's Fig. 2
(ImageNet): a 3x3 conv of stride 2 without padding (BN, no ReLU), two reduction cells as the rest of the stem, then
N normal cells, a reduction cell, N normal cells, a reduction cell and N normal cells, a final ReLU, global average
pooling, dropout and the classifier. Each cell reads the outputs of the two cells before it. The cells' filter count
F doubles at each reduction; the stem cells have F / 4 and F / 2, the last stack 4F, so the penultimate layer has
24F filters (a normal cell concatenates 6 states): the paper's "NASNet-A (N @ 24F)".

- ``size="mobile"``: NASNet-A (4 @ 1056): F = 44, a 32-filter stem conv, 224x224 inputs;
- ``size="large"``: NASNet-A (6 @ 4032): F = 168, a 96-filter stem conv, 331x331 inputs; after each reduction cell
  the next cell reads, besides the reduction's output, the reduction's own earlier input (TF-slim's
  ``skip_reduction_layer_input``), as timm's ``nasnetalarge`` does.

Weights trained in TensorFlow expect ``padding="same"`` (TF's SAME padding, average pools over image pixels only).
TF-slim's auxiliary head and drop path (the mobile model trains without drop path) are not built. ``width`` scales
F and the stem conv (to multiples of 4). ``small_input`` keeps the stem conv's and the first stem cell's strides
at 1 (total stride 8, for 32x32); the second stem cell then reads the stem conv through a 1x1 conv, as TF-slim's
cells do whenever their two inputs share a resolution.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from torch import nn

from ..layers import ConvNormAct, check_width, scale_width
from ..layers.nasnet_cell import NORMAL_A, REDUCTION_A, CellPair, CellSpec, NasNetCell
from ..layers.same_padding import check_padding
from .base import LightNet
from .builder import Downsamplings, StageStack, model_builder
from .heads import ClassifierHead
from .inception_v3 import input_cfg

TF_SLIM_CFG = {"mean": (0.5,) * 3, "std": (0.5,) * 3}  # inputs scaled to [-1, 1]
STAGE_SCALING = (0.25, 0.5, 1, 2, 4)  # F's multiple in the two stem cells and the three stacks
WIDTH_DIVISOR = 4  # F / 4 filters in the first stem cell


@dataclass(frozen=True)
class Size:
    cells: int  # N, normal cells per stack
    penultimate_filters: int  # 24F
    stem_filters: int
    skip_reduction_input: bool
    cfg: dict[str, Any]


SIZES = {
    "mobile": Size(4, 1056, 32, False, {**TF_SLIM_CFG, "input_size": 224, "crop_pct": 0.875}),
    "large": Size(6, 4032, 96, True, {**TF_SLIM_CFG, "input_size": 331, "crop_pct": 0.911,
                                      "interpolation": "bicubic"}),
}


class _Cells:
    """The cells as they are appended, tracking the (h_prev, h) pair the next cell reads: channels and total
    stride of each."""

    def __init__(self, body: StageStack, padding: str, bn_eps: float):
        self.body, self.padding, self.bn_eps = body, padding, bn_eps
        self.prev = self.cur = (body.chs, body.stride)

    def add(self, spec: CellSpec, filters: int, stride: int = 1, adapt_prev: bool = True,
            skip_input: bool = False) -> None:
        (prev_chs, prev_stride), (chs, total_stride) = self.prev, self.cur
        cell = NasNetCell(spec, chs, prev_chs, filters, stride, total_stride // prev_stride, adapt_prev,
                          skip_input=skip_input, padding=self.padding, bn_eps=self.bn_eps)
        self.body.add(cell, cell.out_chs, stride)
        self.prev = self.prev if skip_input else self.cur
        self.cur = (cell.out_chs, total_stride * stride)


@model_builder
def nasnet_a(
    *,
    size: str = "mobile",
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    drop_rate: float = 0.5,
    bn_eps: float = 1e-3,
    padding: str = "symmetric",
    small_input: bool = False,
) -> LightNet:
    """NASNet-A mobile (4 @ 1056) or large (6 @ 4032)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    arch = SIZES[size]
    check_padding(padding)
    base = arch.penultimate_filters // 24
    width = check_width(width, (base, arch.stem_filters), WIDTH_DIVISOR)
    filters = scale_width(base, width, WIDTH_DIVISOR)
    stem_chs = scale_width(arch.stem_filters, width, WIDTH_DIVISOR)
    strides = Downsamplings.for_input(small_input)
    s = strides(2)
    stem = nn.Sequential(OrderedDict(
        conv=ConvNormAct(in_chans, stem_chs, 3, s, act=None, bn_eps=bn_eps, padding=0),
        pair=CellPair(),
    ))
    body = StageStack(stem_chs, s)
    cells = _Cells(body, padding, bn_eps)
    scaling = iter(STAGE_SCALING)
    cells.add(REDUCTION_A, int(filters * next(scaling)), strides(2), adapt_prev=False)
    body.end_stage()
    cells.add(REDUCTION_A, int(filters * next(scaling)), 2)
    for stack, scale in enumerate(scaling):
        if stack:
            cells.add(REDUCTION_A, int(filters * scale), 2, skip_input=arch.skip_reduction_input)
        for _ in range(arch.cells):
            cells.add(NORMAL_A, int(filters * scale))
        body.end_stage()
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out", final_conv=nn.ReLU(),
                    default_cfg=input_cfg(arch.cfg, small_input))
