"""Inception-v4 and Inception-ResNet-v2 (Szegedy et al. 2016, arXiv:1602.07261).

Inception-v4 (Fig. 9): the stem of Fig. 3, 4 x Inception-A (Fig. 4), Reduction-A (Fig. 7
with k, l, m, n = 192, 224, 256, 384, Table 1), 7 x Inception-B (Fig. 5), Reduction-B
(Fig. 8), 3 x Inception-C (Fig. 6), average pooling, dropout (keep 0.8), FC.

Inception-ResNet-v2 (Fig. 15): 10 x Inception-ResNet-A (Fig. 16), Reduction-A (k, l, m, n =
256, 256, 384, 384), 20 x Inception-ResNet-B (Fig. 17), Reduction-B (Fig. 18), 10 x
Inception-ResNet-C (Fig. 19), a 1x1 conv to 1536, pooling, FC. Each residual block adds its
branches' linear 1x1 projection scaled by 0.17, 0.1 and 0.2 (Section 3.3) and the last C
block (scale 1, no ReLU) feeds the final conv. As released by TF-slim and ported by timm,
the stem is Inception v3's (valid 3x3 convs, 1x1 to 80, 3x3 to 192, pools) followed by a
35x35 Inception module (``mixed_5b``) to 320 channels, not Fig. 3; the branch widths are
the release's, which timm's checkpoints fit.

Both pool with 3x3 averages over the valid pixels only (``count_include_pad=False``). Their
valid convs and pools need a 75x75 input at least; the ported weights expect 299x299
inputs scaled to [-1, 1].

``small_input=True`` (for 32x32 images) keeps the first two downsamplings at stride 1, for
a total stride of 8. Inception-ResNet-v2's are Inception v3's (the stem conv, and the first
max pool, left out). Inception-v4's second is the first filter concat of Fig. 3, a module:
its 3x3 / 2 conv and its 3x3 / 2 max pool branch both run at stride 1, still valid (the
pool branch stays, its 64 channels are part of the concatenation).

``se=True`` on Inception-ResNet-v2 is the SENet paper's SE-Inception-ResNet-v2 (Hu et al. 2017, arXiv:1709.01507,
Table 2): a squeeze-and-excite layer (C // ``se_reduction`` channels, sigmoid gate) on the residual branch of every
Inception-ResNet block (its projection, before the scale and the addition, as Fig. 3 places SE in a residual
block) and on the output of every other module (``mixed_5b`` and the two reductions, as Fig. 2 does).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import (SENET_REDUCTION, Branch, Conv, ConvNormAct, InceptionResidual, Pool, check_width, scale_width,
                      senet_se)
from ..layers.squeeze_excite import se_option
from .base import LightNet
from .builder import model_builder
from .heads import ClassifierHead
from .inception_v3 import CFG, MIN_INPUT, SMALL_MIN_INPUT, input_cfg, stem_and_body
from .inception_v3 import Mixed as _Mixed

AVG_POOL = Pool("avg", 3, 1, 1, count_include_pad=False)
MAX_POOL = Pool("max", 3, 2)


def _split(c: int) -> tuple[Branch, ...]:
    """The fork into a 1x3 and a 3x1 conv of c filters each (Fig. 6)."""
    return Branch((Conv(c, (1, 3)),)), Branch((Conv(c, (3, 1)),))


def reduction_a(k: int, l: int, m: int, n: int) -> tuple[Branch, ...]:
    """Fig. 7: 3x3 / 2 (n) | 1x1 (k) -> 3x3 (l) -> 3x3 / 2 (m) | 3x3 / 2 max pool."""
    return Branch((Conv(n, 3, 2, 0),)), Branch((Conv(k), Conv(l, 3), Conv(m, 3, 2, 0))), Branch((MAX_POOL,))


FIGURES = {
    # Inception-v4
    "stem_3a": lambda: (Branch((MAX_POOL,)), Branch((Conv(96, 3, 2, 0),))),  # Fig. 3, first filter concat
    "stem_4a": lambda: (Branch((Conv(64), Conv(96, 3, 1, 0))),  # Fig. 3, second
                        Branch((Conv(64), Conv(64, (1, 7)), Conv(64, (7, 1)), Conv(96, 3, 1, 0)))),
    "stem_5a": lambda: (Branch((Conv(192, 3, 2, 0),)), Branch((MAX_POOL,))),  # Fig. 3, third
    "a": lambda: (Branch((Conv(96),)), Branch((Conv(64), Conv(96, 3))), Branch((Conv(64), Conv(96, 3), Conv(96, 3))),
                  Branch((AVG_POOL, Conv(96)))),  # Fig. 4
    "reduction_a": lambda: reduction_a(192, 224, 256, 384),
    "b": lambda: (Branch((Conv(384),)), Branch((Conv(192), Conv(224, (1, 7)), Conv(256, (7, 1)))),
                  Branch((Conv(192), Conv(192, (7, 1)), Conv(224, (1, 7)), Conv(224, (7, 1)), Conv(256, (1, 7)))),
                  Branch((AVG_POOL, Conv(128)))),  # Fig. 5
    "reduction_b": lambda: (Branch((Conv(192), Conv(192, 3, 2, 0))),
                            Branch((Conv(256), Conv(256, (1, 7)), Conv(320, (7, 1)), Conv(320, 3, 2, 0))),
                            Branch((MAX_POOL,))),  # Fig. 8
    "c": lambda: (Branch((Conv(256),)), Branch((Conv(384),), _split(256)),
                  Branch((Conv(384), Conv(448, (3, 1)), Conv(512, (1, 3))), _split(256)),
                  Branch((AVG_POOL, Conv(256)))),  # Fig. 6
    # Inception-ResNet-v2 (TF-slim's widths)
    "mixed_5b": lambda: (Branch((Conv(96),)), Branch((Conv(48), Conv(64, 5))),
                         Branch((Conv(64), Conv(96, 3), Conv(96, 3))), Branch((AVG_POOL, Conv(64)))),
    "resnet_a": lambda: (Branch((Conv(32),)), Branch((Conv(32), Conv(32, 3))),
                         Branch((Conv(32), Conv(48, 3), Conv(64, 3)))),  # Fig. 16
    "resnet_reduction_a": lambda: reduction_a(256, 256, 384, 384),
    "resnet_b": lambda: (Branch((Conv(192),)), Branch((Conv(128), Conv(160, (1, 7)), Conv(192, (7, 1))))),  # Fig. 17
    "resnet_reduction_b": lambda: (  # Fig. 18
        Branch((Conv(256), Conv(384, 3, 2, 0))), Branch((Conv(256), Conv(288, 3, 2, 0))),
        Branch((Conv(256), Conv(288, 3), Conv(320, 3, 2, 0))), Branch((MAX_POOL,))),
    "resnet_c": lambda: (Branch((Conv(192),)), Branch((Conv(192), Conv(224, (1, 3)), Conv(256, (3, 1))))),  # Fig. 19
}


@dataclass(frozen=True)
class Mixed(_Mixed):
    """An Inception module of this paper: its source name and its figure's branch table."""

    def branches(self) -> tuple[Branch, ...]:
        return FIGURES[self.figure]()


@dataclass(frozen=True)
class Residual(Mixed):
    """An Inception-ResNet block: the figure's branches, their scaled 1x1 projection added to
    the input, then ReLU (``relu=False``: the sum stays linear)."""

    scale: float = 1.0
    relu: bool = True

    def module(self, in_chs: int, branches: tuple[Branch, ...], bn_eps: float,
               se_reduction: int | None = None) -> InceptionResidual:
        attn = None if se_reduction is None else senet_se(in_chs, se_reduction)
        return InceptionResidual(in_chs, branches, self.scale, "relu" if self.relu else None, bn_eps, attn)


def _repeat(n: int, first: int, figure: str) -> tuple[Mixed, ...]:
    """n modules of one figure, named by their position in timm's ``features``."""
    return tuple(Mixed(str(first + i), figure) for i in range(n))


STEM = Conv(32, 3, 2, 0)  # 299 -> 149, both networks
V4_STAGES = (
    (Conv(32, 3, 1, 0), Conv(64, 3)),  # 147x147x64
    (Mixed("3", "stem_3a"),),  # 73x73x160
    (Mixed("4", "stem_4a"), Mixed("5", "stem_5a"), *_repeat(4, 6, "a")),  # 35x35x384
    (Mixed("10", "reduction_a"), *_repeat(7, 11, "b")),  # 17x17x1024
    (Mixed("18", "reduction_b"), *_repeat(3, 19, "c")),  # 8x8x1536
)
IRV2_STAGES = (
    (Conv(32, 3, 1, 0), Conv(64, 3)),  # conv2d_2a, 2b: 147x147x64
    (MAX_POOL, Conv(80), Conv(192, 3, 1, 0)),  # maxpool_3a, conv2d_3b, conv2d_4a: 71x71x192
    (MAX_POOL, Mixed("mixed_5b", "mixed_5b"),
     *(Residual(f"repeat.{i}", "resnet_a", scale=0.17) for i in range(10))),  # 35x35x320
    (Mixed("mixed_6a", "resnet_reduction_a"),
     *(Residual(f"repeat_1.{i}", "resnet_b", scale=0.1) for i in range(20))),  # 17x17x1088
    (Mixed("mixed_7a", "resnet_reduction_b"), *(Residual(f"repeat_2.{i}", "resnet_c", scale=0.2) for i in range(9)),
     Residual("block8", "resnet_c", relu=False)),  # 8x8x2080
)
IRV2_FINAL_CONV = 1536
# small_input, Inception-v4: the stem conv and Fig. 3's first concat at stride 1 (both still
# valid 3x3). Backwards from one pixel out: Reduction-B (valid 3x3 / 2) needs 3 rows in,
# Reduction-A (valid 3x3 / 2) 7, the third concat (valid 3x3 / 2) 15, the second (valid 3x3)
# 17, the first (valid 3x3, now / 1) 19, the valid 3x3 conv 21 and the stem conv (valid 3x3
# / 1) 23, the least it takes (32x32 ends at 2x2). Inception-ResNet-v2: v3's stem, v3's 21.
V4_SMALL_MIN_INPUT = 23


def _widths(stages: tuple) -> tuple[int, ...]:
    return (STEM.c, *(layer.c for stage in stages for row in stage if isinstance(row, Mixed)
                      for b in row.branches() for layer in b.layers if isinstance(layer, Conv)))


def _network(stages: tuple, *, num_classes: int, in_chans: int, width: float, drop_rate: float, bn_eps: float,
             small_input: bool, small_min_input: int, final_conv: int | None = None,
             se_reduction: int | None = None) -> LightNet:
    width = check_width(width, _widths(stages))
    stem, body = stem_and_body(in_chans, STEM, stages, width, bn_eps, small_input, se_reduction)
    last = None
    chs = body.chs
    if final_conv is not None:
        chs = scale_width(final_conv, width)
        last = ConvNormAct(body.chs, chs, 1, bn_eps=bn_eps)
    head = ClassifierHead(chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="pytorch", final_conv=last,
                    min_input=small_min_input if small_input else MIN_INPUT,
                    default_cfg=input_cfg(CFG, small_input))


@model_builder
def inception_v4(*, num_classes: int = 1000, in_chans: int = 3, width: float = 1.0, drop_rate: float = 0.2,
                 bn_eps: float = 1e-3, small_input: bool = False) -> LightNet:
    """Inception-v4 (Fig. 9); ``width`` scales every conv (rounded to multiples of 8).
    ``small_input``: the stem conv and Fig. 3's first concat at stride 1 (total stride 8,
    for 32x32; at least 23x23)."""
    return _network(V4_STAGES, num_classes=num_classes, in_chans=in_chans, width=width, drop_rate=drop_rate,
                    bn_eps=bn_eps, small_input=small_input, small_min_input=V4_SMALL_MIN_INPUT)


@model_builder
def inception_resnet_v2(*, num_classes: int = 1000, in_chans: int = 3, width: float = 1.0, drop_rate: float = 0.2,
                        bn_eps: float = 1e-3, small_input: bool = False, se: bool = False,
                        se_reduction: int = SENET_REDUCTION) -> LightNet:
    """Inception-ResNet-v2 (Fig. 15); ``width`` scales every conv (rounded to multiples of 8).
    ``small_input``: the stem conv at stride 1 and no first max pool (total stride 8, for
    32x32; at least 21x21); ``se``: SE-Inception-ResNet-v2."""
    return _network(IRV2_STAGES, num_classes=num_classes, in_chans=in_chans, width=width, drop_rate=drop_rate,
                    bn_eps=bn_eps, small_input=small_input, small_min_input=SMALL_MIN_INPUT,
                    final_conv=IRV2_FINAL_CONV, se_reduction=se_option(se, se_reduction))
