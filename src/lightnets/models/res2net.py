"""Res2Net (Gao et al. 2019, arXiv:1904.01169): ResNet-50 / 101 / 152 with Res2Net bottlenecks.

The network is ResNet's Table 1 (:mod:`.resnet`: the 7x7 stem and max pool, four stages of 3, 4, 6, 3 blocks for
Res2Net-50, the pool and FC) with every bottleneck's 3x3 conv replaced by the hierarchical split
(:class:`~lightnets.layers.Res2NetBottleneck`). Its variants are named "w x s" (Section 4.1 and Table 1 of the
authors' README): s = ``scale`` splits of w = ``base_width`` channels each in conv2_x, the widths doubling per stage
with the stage's ``c``, as ResNet's bottleneck width; 26w x 4s keeps ResNet-50's cost. Res2NeXt-50 (Section 3.2)
adds ``cardinality`` groups to every split's 3x3 conv (4s, 8 groups of 4 channels each: splits of 32 in conv2_x), and
``se=True`` squeeze-and-excitation on each block's output (SE-Res2Net; SENet's reduction to C / 16).

``width`` scales the stem and every stage's ``c`` by the lightnets width policy; the splits follow the scaled ``c``
(floored, as the authors' ``floor(planes * baseWidth / 64)``), so ``width=1.0`` is exactly timm's network.
"""

from __future__ import annotations

from ..layers import (Bottleneck, Res2NetBottleneck, check_width, pooled_stem, pooled_stem_stride, scale_width,
                      senet_se)
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, first_stride, model_builder
from .heads import ClassifierHead
from .resnet import DEPTHS, EXPANSION, STAGES, STEM, check_group_width, group_width

RES2NET_DEPTHS = {depth: column for depth, column in DEPTHS.items() if column.block is Bottleneck}


@model_builder
def res2net(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    depth: int = 50,
    base_width: int = 26,
    scale: int = 4,
    cardinality: int = 1,
    se: bool = False,
    bn_eps: float = 1e-5,
    small_input: bool = False,
) -> LightNet:
    """Res2Net-``depth`` ``base_width``w x ``scale``s; ``small_input`` is ResNet's CIFAR stem (3x3 conv at stride 1,
    no max pool; total stride 8, for 32x32)."""
    if isinstance(depth, bool) or depth not in RES2NET_DEPTHS:
        raise ValueError(f"Res2Net depth must be one of {', '.join(map(str, RES2NET_DEPTHS))} (ResNet's bottleneck "
                         f"networks), got {depth!r}")
    if isinstance(base_width, bool) or not isinstance(base_width, int) or base_width < 1:
        raise ValueError(f"base_width must be an integer >= 1 (the width w of each split in conv2_x: 26 in "
                         f"Res2Net-50 26w x 4s), got {base_width!r}")
    if isinstance(cardinality, bool) or not isinstance(cardinality, int) or cardinality < 1:
        raise ValueError(f"cardinality must be an integer >= 1 (the groups of every split's 3x3 conv: 1 in Res2Net, "
                         f"8 in Res2NeXt-50), got {cardinality!r}")
    if not isinstance(se, bool):
        raise ValueError(f"se must be True or False, got {se!r}")
    width = check_width(width, (STEM, *(spec.c for spec in STAGES)))
    check_group_width(width, base_width)
    stem_chs = scale_width(STEM, width)
    stem = pooled_stem(in_chans, stem_chs, 7, bn_eps, check_small_input(small_input))
    body = StageStack(stem_chs, stride=pooled_stem_stride(small_input))
    for spec, n in zip(STAGES, RES2NET_DEPTHS[depth].n):
        c = scale_width(spec.c, width)
        out_chs = EXPANSION * c
        for j, s in enumerate(first_stride(n, spec.s)):
            block = Res2NetBottleneck(body.chs, out_chs, group_width(c, base_width) * cardinality, scale, s,
                                      first=j == 0, groups=cardinality,
                                      se=senet_se(out_chs) if se else None, bn_eps=bn_eps)
            body.add(block, out_chs, s)
        body.end_stage()
    head = ClassifierHead(body.chs, num_classes)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out_convs",
                    default_cfg=SMALL_INPUT_CFG if small_input else None)
