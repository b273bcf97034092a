"""Dual Path Networks (Chen et al. 2017, arXiv:1707.01629), Table 1.

A stem (7x7 conv, 3x3 for DPN-68) and max pool, four stages of dual path blocks
(:class:`~lightnets.layers.DualPathBlock`), a final BN-ReLU over both paths, global average
pooling and the classifier. Table 1's columns give, per stage, the bottleneck width r of the
1x1 and grouped 3x3 convs, the residual width c of the last 1x1 conv and the dense path's
increment "(+inc)", and the repeats n; the cardinality G is one per network. DPN-68 and
DPN-107 are the authors' released models beside Table 1's DPN-92/98/131 (their MXNet code,
which timm ports: DPN-68 has a 3x3 stem of 10 maps and residual widths of 64 x 2^i).

The first block of every stage projects its input (the first with stride 1 after the pool,
the rest with stride 2), so stages end where the stride is about to change. ``width``
multiplies every channel count (r rounded to a multiple of G so the groups still divide it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import DualPathBlock, NormAct, check_width, pooled_stem, pooled_stem_stride, scale_width
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, first_stride, model_builder
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow

# The authors' preprocessing (their MXNet models, timm's IMAGENET_DPN_MEAN / _STD): mean
# pixel (124, 117, 104), every channel scaled by 0.0167.
DPN_CFG = dict(mean=(124 / 255, 117 / 255, 104 / 255), std=(1 / (0.0167 * 255),) * 3, interpolation="bicubic")


@dataclass(frozen=True)
class Stage:
    """r = width of the 1x1 and 3x3 (grouped) convs, c = the last 1x1 conv's residual width,
    inc = the maps it adds to the dense path ("+inc"), n = repeats."""

    r: int
    c: int
    inc: int
    n: int


@dataclass(frozen=True)
class Network:
    """One column of Table 1: the stem conv, the cardinality G and the four stages."""

    stem_kernel: int
    stem_chs: int
    groups: int
    stages: tuple[Stage, Stage, Stage, Stage]


NETWORKS = {
    68: Network(stem_kernel=3, stem_chs=10, groups=32, stages=(
        Stage(r=128, c=64, inc=16, n=3), Stage(r=256, c=128, inc=32, n=4),
        Stage(r=512, c=256, inc=32, n=12), Stage(r=1024, c=512, inc=64, n=3))),
    92: Network(stem_kernel=7, stem_chs=64, groups=32, stages=(
        Stage(r=96, c=256, inc=16, n=3), Stage(r=192, c=512, inc=32, n=4),
        Stage(r=384, c=1024, inc=24, n=20), Stage(r=768, c=2048, inc=128, n=3))),
    98: Network(stem_kernel=7, stem_chs=96, groups=40, stages=(
        Stage(r=160, c=256, inc=16, n=3), Stage(r=320, c=512, inc=32, n=6),
        Stage(r=640, c=1024, inc=32, n=20), Stage(r=1280, c=2048, inc=128, n=3))),
    107: Network(stem_kernel=7, stem_chs=128, groups=50, stages=(
        Stage(r=200, c=256, inc=20, n=4), Stage(r=400, c=512, inc=64, n=8),
        Stage(r=800, c=1024, inc=64, n=20), Stage(r=1600, c=2048, inc=128, n=3))),
    131: Network(stem_kernel=7, stem_chs=128, groups=40, stages=(
        Stage(r=160, c=256, inc=16, n=4), Stage(r=320, c=512, inc=32, n=8),
        Stage(r=640, c=1024, inc=32, n=28), Stage(r=1280, c=2048, inc=128, n=3))),
}


@model_builder
def dpn(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    depth: int = 92,
    split_expand: bool = False,
    drop_rate: float = 0.0,
    bn_eps: float = 1e-3,
    small_input: bool = False,
) -> LightNet:
    """DPN-``depth``; BatchNorm epsilon 1e-3 as the authors' MXNet models (and timm).
    ``split_expand`` gives every block two last 1x1 convs (residual, dense) instead of one
    (the "b" blocks of DPN-68b: the same function, their weights apart). ``small_input`` is
    the CIFAR stem of ResNet and DenseNet (one 3x3 conv at stride 1, no pool; total stride 8)."""
    if isinstance(depth, bool) or depth not in NETWORKS:
        raise ValueError(f"unknown DPN depth {depth!r}; valid: {', '.join(map(str, NETWORKS))}")
    if not isinstance(split_expand, bool):
        raise ValueError(f"split_expand must be True or False, got {split_expand!r}")
    net = NETWORKS[depth]
    width = check_width(width)
    stem_chs = scale_width(net.stem_chs, width, divisor=1)
    stem = pooled_stem(in_chans, stem_chs, net.stem_kernel, bn_eps, check_small_input(small_input))
    body = StageStack(stem_chs, stride=pooled_stem_stride(small_input))
    for i, spec in enumerate(net.stages):
        r = scale_width(spec.r, width, divisor=net.groups)
        c, inc = scale_width(spec.c, width, divisor=1), scale_width(spec.inc, width, divisor=1)
        for j, s in enumerate(first_stride(spec.n, 2 if i else 1)):
            block = DualPathBlock(body.chs, r, c, inc, net.groups, s, project=j == 0, bn_eps=bn_eps,
                                  split_expand=split_expand)
            body.add(block, block.out_chs, s)
        body.end_stage()
    final = NormAct(body.chs, bn_eps=bn_eps)
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="pytorch", final_conv=final,
                    default_cfg={**DPN_CFG, **SMALL_INPUT_CFG} if small_input else DPN_CFG)


def dpn_table(model: LightNet) -> PaperTable:
    """Table 1's column for this network: conv1 (the stem conv), conv2's max pool, one row per
    stage of dual path blocks (r, G, c, +inc, n of the built model) and the classifier (where
    the final BN-ReLU over both paths is counted)."""
    stem = model.stem.conv.conv
    size = stem.kernel_size[0]
    rows = [TableRow(("stem.conv",), ("conv1", f"{size} x {size}, {stem.out_channels}, stride {stem.stride[0]}"))]
    if hasattr(model.stem, "pool"):
        rows.append(TableRow(("stem.pool",), ("conv2", "3 x 3 max pool, stride 2")))
    for i, stage in enumerate(model.stages):
        block = stage[0]
        r, groups = block.grouped.conv.out_channels, block.grouped.conv.groups
        rows.append(TableRow((f"stages.{i}",), ("conv2" if i == 0 else f"conv{i + 2}", (
            f"[1 x 1, {r}; 3 x 3, {r}, G = {groups}; 1 x 1, {block.c} (+{block.inc})] x {len(stage)}"))))
    classifier = f"global average pool, {model.num_classes or '-'}-d fc, softmax"
    rows.append(TableRow(("final_conv", "head"), ("", classifier)))
    depth = model.config["depth"]
    return PaperTable("DPN (arXiv:1707.01629), Table 1", ("Stage", f"DPN-{depth}"), tuple(rows))
