"""MobileFaceNet (Chen et al. 2018, arXiv:1804.07573), Table 1: a face-embedding network.

A MobileNetV2 body (inverted residuals with linear bottlenecks, Section 3.2) cut to a total
stride of 16 for 112x112 aligned faces: a 3x3 stride-2 conv and a 3x3 depthwise conv, five
bottleneck rows (t, c, n, s), a 1x1 conv to 512, then the paper's "linear GDConv7x7" and
"linear conv1x1" to the 128-d embedding (:class:`~lightnets.models.heads.GDCHead`: a
depthwise conv whose kernel covers the whole 7x7 final map, in place of global average
pooling, because the positions of a face are not alike). The non-linearity is PReLU, one
slope per channel (Section 3.2 finds it slightly better than ReLU for face verification), BN
follows every conv and the embedding, and the projections of the bottlenecks stay linear.

``forward`` gives the embedding: the registered model has no classifier
(``num_classes=0``); a training loss on identities, e.g. ArcFace
(:mod:`lightnets.tasks.embedding.arcface`), holds its own class weights. ``num_classes > 0``
adds a plain FC classifier on the embedding (``reset_classifier``), as the model contract has it.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from torch import nn

from ..layers import ConvNormAct, InvertedResidual, check_width, scale_width
from .base import LightNet
from .builder import StageStack, first_stride, model_builder
from .heads import GDCHead
from .mobilenet_v2 import Stage
from .paper_table import PaperTable, TableRow

INPUT_SIZE = 112  # aligned face crops, 112x112x3 (Table 1's first row)
STEM = 64  # conv3x3, stride 2
DW = 64  # depthwise conv3x3
STAGES = (
    Stage(t=2, c=64, n=5, s=2),
    Stage(t=4, c=128, n=1, s=2),
    Stage(t=2, c=128, n=6, s=1),
    Stage(t=4, c=128, n=1, s=2),
    Stage(t=2, c=128, n=2, s=1),
)
LAST_CONV = 512  # conv1x1; the linear GDConv7x7 keeps its width
EMBEDDING_DIM = 128  # linear conv1x1
ACT = "prelu"
# The preprocessing of the face-recognition implementations MobileFaceNet was trained with (InsightFace's and
# their ports): (pixel / 255 - 0.5) / 0.5, i.e. pixels in [-1, 1], on a 112x112 aligned crop taken whole.
FACE_CFG = {"input_size": INPUT_SIZE, "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "crop_pct": 1.0}


@model_builder
def mobilefacenet(
    *,
    num_classes: int = 0,
    in_chans: int = 3,
    width: float = 1.0,
    embedding_dim: int = EMBEDDING_DIM,
    bn_eps: float = 1e-5,
) -> LightNet:
    """MobileFaceNet as Table 1; ``width`` scales every conv (the stem, the bottlenecks and
    the 512-wide 1x1 conv, multiples of 8), ``embedding_dim`` is the embedding's width.

    The GDConv's kernel is the final map's size, 7x7 at the 112x112 input: inputs from 97x97
    to 112x112 give that map (``min_input``, ``max_input``); others are refused.
    """
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
        raise ValueError(f"embedding_dim must be an integer >= 1 (the paper's embedding has 128), got "
                         f"{embedding_dim!r}")
    width = check_width(width, (STEM, DW, *(spec.c for spec in STAGES), LAST_CONV))
    stem_chs, dw_chs = scale_width(STEM, width), scale_width(DW, width)
    stem = nn.Sequential(OrderedDict(
        conv=ConvNormAct(in_chans, stem_chs, 3, stride=2, act=ACT, bn_eps=bn_eps),
        dw=ConvNormAct(stem_chs, dw_chs, 3, groups=stem_chs, act=ACT, bn_eps=bn_eps),
    ))
    body = StageStack(dw_chs, stride=2)
    for spec in STAGES:
        out_chs = scale_width(spec.c, width)
        for s in first_stride(spec.n, spec.s):
            body.add(InvertedResidual(body.chs, out_chs, body.chs * spec.t, 3, s, act=ACT, bn_eps=bn_eps),
                     out_chs, s)
        body.end_stage()
    last = scale_width(LAST_CONV, width)
    final_conv = ConvNormAct(body.chs, last, 1, act=ACT, bn_eps=bn_eps)
    map_size = math.ceil(INPUT_SIZE / body.stride)
    head = GDCHead(last, num_classes, map_size=map_size, embed_dim=embedding_dim, bn_eps=bn_eps)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out", final_conv=final_conv,
                    default_cfg=FACE_CFG, min_input=(map_size - 1) * body.stride + 1, max_input=map_size * body.stride)


def mobilefacenet_table(model: LightNet) -> PaperTable:
    """Table 1: the stem's two convs, one row per bottleneck row (t, c, n, s), the 1x1 conv,
    the linear GDConv7x7 and the linear conv1x1 (with its BN) to the embedding."""
    rows = [TableRow(("stem.conv",), ("conv3x3", "-", model.stem.conv.conv.out_channels, 1, 2)),
            TableRow(("stem.dw",), ("depthwise conv3x3", "-", model.stem.dw.conv.out_channels, 1, 1))]
    for i, spec in enumerate(STAGES):
        stage = model.stages[i]
        rows.append(TableRow((f"stages.{i}",), ("bottleneck", spec.t, stage[-1].project.conv.out_channels, spec.n,
                                                stage[0].dw.conv.stride[0])))
    gdc = model.head.gdc.conv
    rows += [TableRow(("final_conv",), ("conv1x1", "-", model.final_conv.conv.out_channels, 1, 1)),
             TableRow(("head.gdc",), (f"linear GDConv{gdc.kernel_size[0]}x{gdc.kernel_size[1]}", "-",
                                      gdc.out_channels, 1, 1)),
             TableRow(("head.embed", "head.bn"), ("linear conv1x1", "-", model.head.embed.out_features, 1, 1))]
    return PaperTable("MobileFaceNet (arXiv:1804.07573), Table 1", ("Operator", "t", "c", "n", "s"), tuple(rows))
