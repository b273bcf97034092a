"""MobileNetV1 (Howard et al. 2017, arXiv:1704.04861), Table 1.

A 3x3 stem conv followed by 13 depthwise separable layers and an FC classifier. The width
multiplier alpha thins every layer; the resolution multiplier rho is simply the input size.

``se=True`` is the SENet paper's SE-MobileNet (Hu et al. 2017, arXiv:1709.01507, Table 3): a squeeze-and-excite layer
(C // ``se_reduction`` channels, sigmoid gate: :mod:`..layers.squeeze_excite`) on the output of every separable layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import SENET_REDUCTION, ConvNormAct, DepthwiseSeparableConv, check_width, scale_width, senet_se
from ..layers.squeeze_excite import se_option
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack, first_stride, model_builder
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow
from .widths import resolve_widths


@dataclass(frozen=True)
class Stage:
    """c = output channels, n = repeats, s = stride of the first repeat (rest stride 1)."""

    c: int
    n: int
    s: int


STEM = 32  # Conv / s2, 3x3x3x32
# Table 1 rows grouped by output width ("5x Conv dw / s1" is the n=6 stage; the paper's
# second-to-last "Conv dw / s2" is a known typo for s1, as the 7x7 output shows).
STAGES = (
    Stage(c=64, n=1, s=1),
    Stage(c=128, n=2, s=2),
    Stage(c=256, n=2, s=2),
    Stage(c=512, n=6, s=2),
    Stage(c=1024, n=2, s=2),
)
# Table 5: the "shallower" MobileNet drops the five 14x14x512 separable layers.
SHALLOW_STAGES = STAGES[:3] + (Stage(c=512, n=1, s=2),) + STAGES[4:]


@model_builder
def mobilenet_v1(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    separable: bool = True,
    shallow: bool = False,
    act: str = "relu",
    drop_rate: float = 0.2,
    bn_eps: float = 1e-5,
    small_input: bool = False,
    widths: dict | None = None,
    se: bool = False,
    se_reduction: int = SENET_REDUCTION,
) -> LightNet:
    """MobileNetV1; ``separable=False`` is Table 4's "Conv MobileNet" with full 3x3 convs.

    The paper uses ReLU; ``act="relu6"`` gives the TF-slim / timm flavour. ``small_input``
    keeps the stem and the first stride-2 layer at stride 1 (total stride 8, for 32x32).
    ``widths`` (:mod:`.widths`): ``stem`` and the output width of each of the ``blocks``.
    """
    width = check_width(width, (STEM, *(spec.c for spec in STAGES)))
    reduction = se_option(se, se_reduction)
    if se and not separable:
        raise ValueError("se=True puts squeeze-and-excite on each depthwise separable layer (SE-MobileNet); "
                         "separable=False has none: take one or the other")
    stages = SHALLOW_STAGES if shallow else STAGES
    plan = resolve_widths(widths, {"stem": scale_width(STEM, width),
                                   "blocks": [scale_width(spec.c, width) for spec in stages for _ in range(spec.n)]},
                          "mobilenet_v1")
    blocks = iter(plan["blocks"])
    stem_chs = plan["stem"]
    strides = Downsamplings.for_input(small_input)
    stem_stride = strides(2)
    stem = ConvNormAct(in_chans, stem_chs, 3, stride=stem_stride, act=act, bn_eps=bn_eps)
    body = StageStack(stem_chs, stride=stem_stride)
    for spec in stages:
        for s in map(strides, first_stride(spec.n, spec.s)):
            out_chs = next(blocks)
            if separable:
                attn = None if reduction is None else senet_se(out_chs, reduction)
                block = DepthwiseSeparableConv(body.chs, out_chs, s, act=act, bn_eps=bn_eps, attn=attn)
            else:
                block = ConvNormAct(body.chs, out_chs, 3, s, act=act, bn_eps=bn_eps)
            body.add(block, out_chs, s)
        body.end_stage()
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    model = LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out",
                     default_cfg=SMALL_INPUT_CFG if small_input else None)
    model.widths, model.width_ties = plan, []  # no shortcuts: every width is free
    return model


def mobilenet_v1_table(model: LightNet) -> PaperTable:
    """Table 1: one row per layer, "Type / Stride" and "Filter Shape" (the depthwise and
    pointwise halves of a separable layer on rows of their own), the pool and the FC."""
    def conv_row(name: str, conv, kind: str) -> TableRow:
        k, s = conv.kernel_size[0], conv.stride[0]
        shape = (f"{k}x{k}x{conv.in_channels} dw" if conv.groups > 1 else
                 f"{k}x{k}x{conv.in_channels}x{conv.out_channels}")
        return TableRow((name,), (f"{kind} / s{s}", shape))

    rows = [conv_row("stem", model.stem.conv, "Conv")]
    for i, stage in enumerate(model.stages):
        for j, block in enumerate(stage):
            if hasattr(block, "dw"):
                rows += [conv_row(f"stages.{i}.{j}.dw", block.dw.conv, "Conv dw"),
                         conv_row(f"stages.{i}.{j}.pw", block.pw.conv, "Conv")]
            else:  # separable=False: Table 4's full convolutions
                rows.append(conv_row(f"stages.{i}.{j}", block.conv, "Conv"))
    rows += [TableRow(("head.pool",), ("Avg Pool / s1", "Pool (global)")),
             TableRow(("head.fc",), ("FC / s1", f"{model.num_features}x{model.num_classes or '-'}"))]
    return PaperTable("MobileNetV1 (arXiv:1704.04861), Table 1", ("Type / Stride", "Filter Shape"), tuple(rows))
