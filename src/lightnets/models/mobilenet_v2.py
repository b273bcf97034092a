"""MobileNetV2 (Sandler et al. 2018, arXiv:1801.04381), Table 2.

Inverted residuals with linear bottlenecks. Every width is scaled by the multiplier and
rounded to a multiple of 8; the last 1x1 conv keeps 1280 channels for multipliers below
one (1280 x max(1, alpha)), as the paper's reference code does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import ConvNormAct, InvertedResidual, check_width, scale_width
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack, first_stride, model_builder
from .heads import ClassifierHead
from .output_stride import AtrousStrides, check_output_stride
from .paper_table import PaperTable, TableRow
from .widths import block_ties, resolve_block_widths


@dataclass(frozen=True)
class Stage:
    """t = expansion factor, c = output channels, n = repeats, s = stride of the first."""

    t: int
    c: int
    n: int
    s: int


STEM = 32  # conv2d 3x3, stride 2
STAGES = (
    Stage(t=1, c=16, n=1, s=1),
    Stage(t=6, c=24, n=2, s=2),
    Stage(t=6, c=32, n=3, s=2),
    Stage(t=6, c=64, n=4, s=2),
    Stage(t=6, c=96, n=3, s=1),
    Stage(t=6, c=160, n=3, s=2),
    Stage(t=6, c=320, n=1, s=1),
)
LAST_CONV = 1280  # conv2d 1x1


@model_builder
def mobilenet_v2(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    drop_rate: float = 0.2,
    bn_eps: float = 1e-5,
    small_input: bool = False,
    widths: dict | None = None,
    output_stride: int = 32,
) -> LightNet:
    """MobileNetV2; ``small_input`` keeps the stem and the first stride-2 bottleneck at
    stride 1 (total stride 8, for 32x32). ``widths`` (:mod:`.widths`): ``stem``, each
    block's ``expand`` (expanded) and ``out`` widths, and the ``last`` 1x1 conv's.
    ``output_stride`` 16 or 8 runs the last one or two stride-2 bottlenecks at stride 1 with dilated depthwise
    convs from there on (:mod:`.output_stride`), the backbones of Mobile DeepLabv3 (paper Section 6.3)."""
    width = check_width(width, (STEM, *(spec.c for spec in STAGES)))  # LAST_CONV never narrows
    act = "relu6"
    default = {"stem": scale_width(STEM, width), "expand": [], "out": []}
    for spec in STAGES:
        for _ in range(spec.n):
            default["expand"].append((default["out"][-1] if default["out"] else default["stem"]) * spec.t)
            default["out"].append(scale_width(spec.c, width))
    default["last"] = scale_width(LAST_CONV, max(1.0, width))
    strides = Downsamplings.for_input(small_input)
    stem_stride = strides(2)
    block_strides = [strides(s) for spec in STAGES for s in first_stride(spec.n, spec.s)]
    plan, shortcuts, expands = resolve_block_widths(widths, default, block_strides, "mobilenet_v2")
    atrous = AtrousStrides(check_output_stride(output_stride, small_input), stem_stride)
    dilated = [atrous(s) for s in block_strides]  # shortcuts keep the table's strides
    stem = ConvNormAct(in_chans, plan["stem"], 3, stride=stem_stride, act=act, bn_eps=bn_eps)
    body = StageStack(plan["stem"], stride=stem_stride)
    blocks = iter(zip(plan["expand"], plan["out"], dilated, shortcuts, expands))
    for spec in STAGES:
        for _ in range(spec.n):
            exp_chs, out_chs, (s, dilation), shortcut, expand = next(blocks)
            body.add(InvertedResidual(body.chs, out_chs, exp_chs, 3, s, act=act, bn_eps=bn_eps, expand=expand,
                                      shortcut=shortcut, dilation=dilation), out_chs, s)
        body.end_stage()
    final_conv = ConvNormAct(body.chs, plan["last"], 1, act=act, bn_eps=bn_eps)
    head = ClassifierHead(plan["last"], num_classes, drop_rate=drop_rate)
    model = LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out", final_conv=final_conv,
                     default_cfg=SMALL_INPUT_CFG if small_input else None)
    model.widths, model.width_ties = plan, block_ties(shortcuts, expands)
    return model


def mobilenet_v2_table(model: LightNet) -> PaperTable:
    """Table 2: one row per stage ("bottleneck" t, c, n, s), the stem, the last 1x1 conv, the
    pool and the classifier; c and s are the built model's (``small_input`` keeps two strides at 1)."""
    rows = [TableRow(("stem",), ("conv2d", "-", model.stem.conv.out_channels, 1, model.stem.conv.stride[0]))]
    for i, spec in enumerate(STAGES):
        stage = model.stages[i]
        rows.append(TableRow((f"stages.{i}",), ("bottleneck", spec.t, stage[-1].project.conv.out_channels, spec.n,
                                                stage[0].dw.conv.stride[0])))
    rows += [TableRow(("final_conv",), ("conv2d 1x1", "-", model.final_conv.conv.out_channels, 1, 1)),
             TableRow(("head.pool",), ("avgpool", "-", "-", 1, "-")),
             TableRow(("head.fc",), ("conv2d 1x1", "-", model.num_classes or "-", "-", "-"))]
    return PaperTable("MobileNetV2 (arXiv:1801.04381), Table 2", ("Operator", "t", "c", "n", "s"), tuple(rows))
