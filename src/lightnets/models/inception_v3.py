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
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import Branch, Conv, ConvNormAct, InceptionModule, Pool, check_width, make_pool, scale_width
from .base import LightNet
from .builder import StageStack, model_builder
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


@dataclass(frozen=True)
class Mixed:
    """One Inception module of the body: its TF-slim name, its figure's branch table, and the
    figure's free width (Fig. 5's pool projection, Fig. 6's 7x7-branch width), if any."""

    name: str
    figure: str  # a key of FIGURES
    c: int | None = None

    def branches(self) -> tuple[Branch, ...]:
        make = FIGURES[self.figure]
        return make() if self.c is None else make(self.c)

    def block(self, in_chs: int, width: float, bn_eps: float) -> tuple[InceptionModule, int]:
        """The module on ``in_chs`` channels, widths scaled, and its stride."""
        branches = tuple(b.scaled(width) for b in self.branches())
        return InceptionModule(in_chs, branches, bn_eps=bn_eps), module_stride(branches)


def module_stride(branches: tuple[Branch, ...]) -> int:
    """An Inception module's stride: that of its grid-reducing first layers (1 elsewhere)."""
    return max(layer.s for b in branches for layer in b.layers)


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


def build_body(in_chs: int, stride: int, stages: tuple, width: float, bn_eps: float) -> StageStack:
    """A StageStack from rows of Conv, Pool and Inception rows (``block(in_chs, width, bn_eps)``
    gives the module and its stride), widths scaled; each tuple of rows is one stage."""
    body = StageStack(in_chs, stride)
    for stage in stages:
        for row in stage:
            if isinstance(row, Pool):
                body.add(make_pool(row), body.chs, row.s)
            elif isinstance(row, Conv):
                out_chs = scale_width(row.c, width)
                body.add(ConvNormAct(body.chs, out_chs, row.k, row.s, bn_eps=bn_eps, padding=row.p), out_chs, row.s)
            else:
                block, stride = row.block(body.chs, width, bn_eps)
                body.add(block, block.out_chs, stride)
        body.end_stage()
    return body


@model_builder
def inception_v3(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    aux_logits: bool = False,
    drop_rate: float = 0.5,
    bn_eps: float = 1e-3,
) -> LightNet:
    """Inception v3; ``width`` scales every conv (rounded to multiples of 8) and the aux head."""
    width = check_width(width, (STEM.c, 320, 384, 448))
    if not isinstance(aux_logits, bool):
        raise ValueError(f"aux_logits must be True or False, got {aux_logits!r}")
    stem_chs = scale_width(STEM.c, width)
    stem = ConvNormAct(in_chans, stem_chs, STEM.k, STEM.s, bn_eps=bn_eps, padding=STEM.p)
    body = build_body(stem_chs, STEM.s, STAGES, width, bn_eps)
    aux_heads = None
    if aux_logits:
        conv1, conv2 = (scale_width(c.c, width) for c in AUX_CONVS)
        aux_in = body.feature_info[AUX_STAGE]["num_chs"]
        aux_heads = {AUX_STAGE: AuxHead(ClassifierHead(conv2, num_classes), [
            ConvNormAct(aux_in, conv1, 1, bn_eps=bn_eps),
            ConvNormAct(conv1, conv2, AUX_CONVS[1].k, bn_eps=bn_eps, padding=AUX_CONVS[1].p)])}
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="trunc_normal_0.1", aux_heads=aux_heads, aux_weight=0.4,
                    min_input=MIN_INPUT, default_cfg={"input_size": 299, "mean": (0.5,) * 3, "std": (0.5,) * 3,
                                                      "interpolation": "bicubic"})
