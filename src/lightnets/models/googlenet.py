"""GoogLeNet / Inception v1 (Szegedy et al. 2014, arXiv:1409.4842), Table 1.

A 7x7 stem, a 1x1 -> 3x3 conv pair, nine Inception modules between max pools, global
average pooling and one FC layer; two auxiliary classifiers on the outputs of 4a and 4d
(Section 5) when asked for (``aux_logits=True``), their losses weighted 0.3 in training.

lightnets follows torchvision's GoogLeNet, the network its ported weights fit, which
departs from the paper in four ways, all kept here: every conv is followed by BatchNorm
(eps 1e-3; the paper predates BN) and there is no local response normalisation; the
"5x5" branch uses a 3x3 conv (``paper_5x5=True`` builds the paper's 5x5); the final
dropout is 0.2 (the paper: 40%); the aux heads pool adaptively to 4x4 (the paper: 5x5 / 3,
the same map size at 224). Pools round up (``ceil_mode``, as in Caffe), so every input
from 32x32 up gives a map in every stage.

The aux heads need the outputs of 4a and 4d, so those modules end stages: the 16x
reduction spans three stages (4a | 4b-4d | 4e) in ``feature_info``.

``small_input=True`` (for 32x32 images): the 7x7 stem conv at stride 1 and no first max
pool, total stride 8; 4a and 4d give 8x8 maps at 32x32, which the aux heads' adaptive pool
takes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..layers import Branch, Conv, ConvNormAct, Pool, check_width, scale_width
from .base import LightNet
from .builder import model_builder
from .heads import AuxHead, ClassifierHead, FCStackHead
from .inception_v3 import InceptionRow, input_cfg, stem_and_body


@dataclass(frozen=True)
class Inception(InceptionRow):
    """Table 1's columns of an inception row: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj."""

    name: str
    c1x1: int
    c3x3_reduce: int
    c3x3: int
    c5x5_reduce: int
    c5x5: int
    pool_proj: int
    k5: int = 3  # the "5x5" conv's kernel: 3 in torchvision's GoogLeNet, 5 in the paper

    def branches(self) -> tuple[Branch, ...]:
        return (
            Branch((Conv(self.c1x1),)),
            Branch((Conv(self.c3x3_reduce), Conv(self.c3x3, 3))),
            Branch((Conv(self.c5x5_reduce), Conv(self.c5x5, self.k5))),
            Branch((Pool("max", 3, 1, 1, ceil_mode=True), Conv(self.pool_proj))),
        )


STEM = Conv(64, 7, 2)  # convolution 7x7/2
MAX_POOL = Pool("max", 3, 2, ceil_mode=True)  # max pool 3x3/2
STAGES = (
    (MAX_POOL, Conv(64), Conv(192, 3)),  # convolution 3x3/1: #3x3 reduce 64, #3x3 192
    (MAX_POOL, Inception("3a", 64, 96, 128, 16, 32, 32), Inception("3b", 128, 128, 192, 32, 96, 64)),
    (MAX_POOL, Inception("4a", 192, 96, 208, 16, 48, 64)),
    (Inception("4b", 160, 112, 224, 24, 64, 64), Inception("4c", 128, 128, 256, 24, 64, 64),
     Inception("4d", 112, 144, 288, 32, 64, 64)),
    (Inception("4e", 256, 160, 320, 32, 128, 128),),
    (Pool("max", 2, 2, ceil_mode=True), Inception("5a", 256, 160, 320, 32, 128, 128),
     Inception("5b", 384, 192, 384, 48, 128, 128)),
)
AUX_STAGES = (2, 3)  # after 4a and 4d
# Section 5: a 1x1 conv with 128 filters, a 4x4 map, FC 1024, dropout 70%
AUX_CONV, AUX_MAP, AUX_FC, AUX_DROP = 128, 4, 1024, 0.7


def _widths() -> tuple[int, ...]:
    return (STEM.c, *(c for stage in STAGES for row in stage if isinstance(row, Inception)
                      for c in (row.c1x1, row.c3x3, row.c5x5, row.pool_proj)))


@model_builder
def googlenet(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    aux_logits: bool = False,
    paper_5x5: bool = False,
    drop_rate: float = 0.2,
    bn_eps: float = 1e-3,
    small_input: bool = False,
) -> LightNet:
    """GoogLeNet; ``width`` scales every conv (rounded to multiples of 8) and the aux heads.
    ``small_input``: the stem conv at stride 1 and no first max pool (total stride 8, for 32x32)."""
    width = check_width(width, _widths())
    if not isinstance(aux_logits, bool) or not isinstance(paper_5x5, bool):
        raise ValueError(f"aux_logits and paper_5x5 must be True or False, got {aux_logits!r}, {paper_5x5!r}")
    stages = tuple(tuple(replace(row, k5=5) if paper_5x5 and isinstance(row, Inception) else row for row in stage)
                   for stage in STAGES)
    stem, body = stem_and_body(in_chans, STEM, stages, width, bn_eps, small_input)
    aux_heads = None
    if aux_logits:
        conv_chs, fc_chs = scale_width(AUX_CONV, width), scale_width(AUX_FC, width)
        aux_heads = {
            i: AuxHead(FCStackHead(conv_chs, num_classes, AUX_MAP, hidden=(fc_chs,), drop_rate=AUX_DROP),
                       [ConvNormAct(body.feature_info[i]["num_chs"], conv_chs, 1, bn_eps=bn_eps)], pool_size=AUX_MAP)
            for i in AUX_STAGES
        }
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="trunc_normal_0.01", aux_heads=aux_heads,
                    aux_weight=0.3, default_cfg=input_cfg(None, small_input))
