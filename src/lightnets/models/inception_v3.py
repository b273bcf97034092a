"""Inception v3 (Szegedy et al. 2015, arXiv:1512.00567), Table 1 with the modules of Figs. 5-7 and 10.

An unpadded stem, three 35x35 modules (Fig. 5: the 5x5 conv factorised into two 3x3 ones;
TF-slim keeps a 5x5 in one branch), a grid reduction (Fig. 10), four 17x17 modules with
7x7 convs factorised into 1x7 and 7x1 (Fig. 6, n = 7), a reduction and two 8x8 modules
whose last convs fork into 1x3 and 3x1 (Fig. 7). The auxiliary classifier sits on the last
17x17 module (Mixed_6e, Section 4 and Fig. 8), weight 0.4 in training.

The layout is the released one, as torchvision and timm port it from TF-slim (the paper's
Table 1 lists the stem convs a little differently); each row carries TF-slim's module name
(``Mixed_5b``), which both sources use. The stem's valid convs and pools need a 75x75
input at least (``min_input``); the ported weights expect 299x299 inputs scaled to [-1, 1]
(mean and std 0.5).

``small_input=True`` (for 32x32 images) keeps the first two downsamplings at full
resolution: the stem conv runs at stride 1 and the first max pool is left out, so the
network ends at total stride 8. :func:`stem_and_body` does this for every Inception
builder (GoogLeNet, BN-Inception, v3, v4, Inception-ResNet-v2).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from torch import nn

from ..layers import (Branch, Conv, ConvNormAct, InceptionModule, Pool, check_width, make_pool, scale_width,
                      senet_se)
from ..layers.inception import out_channels
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack, check_small_input, model_builder
from .heads import AuxHead, ClassifierHead

AVG_POOL = Pool("avg", 3, 1, 1)  # the pool branch of Figs. 5-7: 3x3 average, stride 1, padded
MAX_POOL = Pool("max", 3, 2)  # 3x3 / 2, valid


def fig5(pool_proj: int) -> tuple[Branch, ...]:
    """35x35 module: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | pool -> 1x1."""
    return (Branch((Conv(64),)), Branch((Conv(48), Conv(64, 5))), Branch((Conv(64), Conv(96, 3), Conv(96, 3))),
            Branch((AVG_POOL, Conv(pool_proj))))


def fig10_35() -> tuple[Branch, ...]:
    """35 -> 17 grid reduction: 3x3 / 2 | 1x1 -> 3x3 -> 3x3 / 2 | max pool / 2."""
    return (Branch((Conv(384, 3, 2, 0),)), Branch((Conv(64), Conv(96, 3), Conv(96, 3, 2, 0))), Branch((MAX_POOL,)))


def fig6(c7: int) -> tuple[Branch, ...]:
    """17x17 module, n = 7: 1x1 | 1x1 -> 1x7 -> 7x1 | 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 | pool -> 1x1."""
    return (
        Branch((Conv(192),)),
        Branch((Conv(c7), Conv(c7, (1, 7)), Conv(192, (7, 1)))),
        Branch((Conv(c7), Conv(c7, (7, 1)), Conv(c7, (1, 7)), Conv(c7, (7, 1)), Conv(192, (1, 7)))),
        Branch((AVG_POOL, Conv(192))),
    )


def fig10_17() -> tuple[Branch, ...]:
    """17 -> 8 grid reduction: 1x1 -> 3x3 / 2 | 1x1 -> 1x7 -> 7x1 -> 3x3 / 2 | max pool / 2."""
    return (Branch((Conv(192), Conv(320, 3, 2, 0))),
            Branch((Conv(192), Conv(192, (1, 7)), Conv(192, (7, 1)), Conv(192, 3, 2, 0))), Branch((MAX_POOL,)))


SPLIT_1x3_3x1 = (Branch((Conv(384, (1, 3)),)), Branch((Conv(384, (3, 1)),)))


def fig7() -> tuple[Branch, ...]:
    """8x8 module with expanded filter banks: 1x1 | 1x1 -> [1x3, 3x1] | 1x1 -> 3x3 -> [1x3, 3x1] | pool -> 1x1."""
    return (Branch((Conv(320),)), Branch((Conv(384),), SPLIT_1x3_3x1), Branch((Conv(448), Conv(384, 3)), SPLIT_1x3_3x1),
            Branch((AVG_POOL, Conv(192))))


class InceptionRow:
    """A row of a body table that is an Inception module: ``branches()`` gives its branch
    table (at width 1), :meth:`module` builds it from the table :func:`build_body` has scaled
    and strided, with SENet's squeeze-and-excite on its output where ``se_reduction`` is given. A block that is not
    a plain concatenation (Inception-ResNet's) overrides :meth:`module`."""

    def branches(self) -> tuple[Branch, ...]:
        raise NotImplementedError

    def module(self, in_chs: int, branches: tuple[Branch, ...], bn_eps: float,
               se_reduction: int | None = None) -> nn.Module:
        attn = None if se_reduction is None else senet_se(out_channels(branches, in_chs), se_reduction)
        return InceptionModule(in_chs, branches, bn_eps=bn_eps, attn=attn)


@dataclass(frozen=True)
class Mixed(InceptionRow):
    """One Inception module of the body: its TF-slim name, its figure's branch table, and the
    figure's free width (Fig. 5's pool projection, Fig. 6's 7x7-branch width), if any."""

    name: str
    figure: str  # a key of FIGURES
    c: int | None = None

    def branches(self) -> tuple[Branch, ...]:
        make = FIGURES[self.figure]
        return make() if self.c is None else make(self.c)


def module_stride(branches: tuple[Branch, ...]) -> int:
    """An Inception module's stride: that of its grid-reducing first layers (1 elsewhere)."""
    return max(layer.s for b in branches for layer in b.layers)


def unstrided(branch: Branch) -> Branch:
    """The branch with every stride set to 1, kernels and paddings kept. A grid-reducing
    module's stride-2 pool branch stays, at stride 1: its channels are part of the
    concatenation (Inception-v4's stem modules)."""
    return Branch(tuple(replace(layer, s=1) for layer in branch.layers), tuple(unstrided(b) for b in branch.fork))


FIGURES = {"5": fig5, "10_35": fig10_35, "6": fig6, "10_17": fig10_17, "7": fig7}

STEM = Conv(32, 3, 2, 0)  # Conv2d_1a_3x3: 299 -> 149
STAGES = (
    (Conv(32, 3, 1, 0), Conv(64, 3)),  # Conv2d_2a (valid), 2b (padded): 147x147x64
    (MAX_POOL, Conv(80), Conv(192, 3, 1, 0)),  # Conv2d_3b_1x1, Conv2d_4a_3x3: 71x71x192
    (MAX_POOL, Mixed("Mixed_5b", "5", 32), Mixed("Mixed_5c", "5", 64), Mixed("Mixed_5d", "5", 64)),  # 35x35x288
    (Mixed("Mixed_6a", "10_35"), Mixed("Mixed_6b", "6", 128), Mixed("Mixed_6c", "6", 160),
     Mixed("Mixed_6d", "6", 160), Mixed("Mixed_6e", "6", 192)),  # 17x17x768
    (Mixed("Mixed_7a", "10_17"), Mixed("Mixed_7b", "7"), Mixed("Mixed_7c", "7")),  # 8x8x2048
)
AUX_STAGE = 3  # on Mixed_6e
AUX_CONVS = (Conv(128), Conv(768, 5, 1, 0))  # Fig. 8: 5x5 / 3 average pool, 1x1 conv, 5x5 conv, FC
MIN_INPUT = 75
# small_input: the stem's valid 3x3 at stride 1 and no first max pool. Backwards from one
# pixel out: Mixed_7a (valid 3x3 / 2) needs 3 rows in, Mixed_6a (valid 3x3 / 2) 7, the second
# max pool (3x3 / 2) 15, Conv2d_4a (valid 3x3) 17 (3b is 1x1, 2b padded), Conv2d_2a (valid
# 3x3) 19 and the stem conv (valid 3x3 / 1) 21, the least it takes (32x32 ends at 2x2).
# Inception-ResNet-v2 has the same stem and reductions.
SMALL_MIN_INPUT = 21
# The aux head's 5x5 / 3 pool and unpadded 5x5 conv need Mixed_6e at 17x17, which the
# small-input form reaches only from 77x77 inputs (32x32 gives 5x5), so it has no aux head.
SMALL_AUX_MIN_INPUT = 77
CFG = {"input_size": 299, "mean": (0.5,) * 3, "std": (0.5,) * 3, "interpolation": "bicubic"}  # the ported weights'


def build_body(in_chs: int, stride: int, stages: tuple, width: float, bn_eps: float,
               strides: Downsamplings | None = None, se_reduction: int | None = None) -> StageStack:
    """A StageStack from rows of Conv, Pool and :class:`InceptionRow`, widths scaled; each
    tuple of rows is one stage. Each stride above 1 is asked of ``strides`` in network order
    (a grid-reducing Inception module asks once): where it answers 1, a conv runs at stride
    1 (same kernel and padding), a pool row is left out and a module's strided layers all run
    at stride 1 (:func:`unstrided`; its branches must then still agree in size, as
    Inception-v4's valid stem modules do, the only module this early in any of these tables). ``se_reduction``
    gives every module SENet's squeeze-and-excite (:meth:`InceptionRow.module`)."""
    if strides is None:
        strides = Downsamplings(0)
    body = StageStack(in_chs, stride)
    for stage in stages:
        for row in stage:
            if isinstance(row, Pool):
                s = strides(row.s)
                if s == row.s:
                    body.add(make_pool(row), body.chs, s)
            elif isinstance(row, Conv):
                out_chs, s = scale_width(row.c, width), strides(row.s)
                body.add(ConvNormAct(body.chs, out_chs, row.k, s, bn_eps=bn_eps, padding=row.p), out_chs, s)
            else:
                branches = tuple(b.scaled(width) for b in row.branches())
                s = module_stride(branches)
                if strides(s) < s:
                    branches, s = tuple(unstrided(b) for b in branches), 1
                block = row.module(body.chs, branches, bn_eps, se_reduction)
                body.add(block, block.out_chs, s)
        body.end_stage()
    return body


def stem_and_body(in_chans: int, stem: Conv, stages: tuple, width: float, bn_eps: float,
                  small_input: bool, se_reduction: int | None = None) -> tuple[ConvNormAct, StageStack]:
    """The stem conv and the body of an Inception network; ``small_input`` keeps its first
    two downsamplings (:data:`~lightnets.models.builder.SMALL_INPUT_KEPT`) at stride 1."""
    strides = Downsamplings.for_input(small_input)
    stem_chs, s = scale_width(stem.c, width), strides(stem.s)
    conv = ConvNormAct(in_chans, stem_chs, stem.k, s, bn_eps=bn_eps, padding=stem.p)
    return conv, build_body(stem_chs, s, stages, width, bn_eps, strides, se_reduction)


def input_cfg(cfg: dict | None, small_input: bool) -> dict | None:
    """A family's default_cfg, or for its small-input form the same with the 32x32 input
    size and crop of :data:`~lightnets.models.builder.SMALL_INPUT_CFG` (mean and std kept)."""
    return {**(cfg or {}), **SMALL_INPUT_CFG} if small_input else cfg


@model_builder
def inception_v3(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    aux_logits: bool = False,
    drop_rate: float = 0.5,
    bn_eps: float = 1e-3,
    small_input: bool = False,
) -> LightNet:
    """Inception v3; ``width`` scales every conv (rounded to multiples of 8) and the aux head.
    ``small_input``: the stem conv at stride 1 and no first max pool (total stride 8, for
    32x32; at least 21x21), without the aux head."""
    width = check_width(width, (STEM.c, 320, 384, 448))
    if not isinstance(aux_logits, bool):
        raise ValueError(f"aux_logits must be True or False, got {aux_logits!r}")
    if check_small_input(small_input) and aux_logits:
        raise ValueError(f"aux_logits=True cannot go with small_input=True: the aux head needs Mixed_6e at 17x17, "
                         f"which the small-input form reaches only from {SMALL_AUX_MIN_INPUT}x{SMALL_AUX_MIN_INPUT} "
                         f"inputs (32x32 gives 5x5)")
    stem, body = stem_and_body(in_chans, STEM, STAGES, width, bn_eps, small_input)
    aux_heads = None
    if aux_logits:
        conv1, conv2 = (scale_width(c.c, width) for c in AUX_CONVS)
        aux_in = body.feature_info[AUX_STAGE]["num_chs"]
        aux_heads = {AUX_STAGE: AuxHead(ClassifierHead(conv2, num_classes), [
            ConvNormAct(aux_in, conv1, 1, bn_eps=bn_eps),
            ConvNormAct(conv1, conv2, AUX_CONVS[1].k, bn_eps=bn_eps, padding=AUX_CONVS[1].p)])}
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="trunc_normal_0.1", aux_heads=aux_heads, aux_weight=0.4,
                    min_input=SMALL_MIN_INPUT if small_input else MIN_INPUT, default_cfg=input_cfg(CFG, small_input))
