"""The searched MBConv networks' shared builder: MnasNet, EfficientNet and MixNet are tables of MBConv rows.

MnasNet's search space (Tan et al. 2018, arXiv:1807.11626, Section 4) fixes the skeleton: a 3x3 stride-2 stem, stages
of repeated blocks, a 1x1 conv and a classifier, and searches each stage's block: kernel, expansion, SE, repeats.
EfficientNet-B0 (arXiv:1905.11946, Table 1) and MixNet (arXiv:1907.09595, Figure 8) came out of the same space. A row
here is one line of those tables:

- ``n`` repeats, the first with stride ``s``; ``c`` output channels; expansion ``e`` (1: no expansion conv, the
  depthwise separable first block);
- ``k``: the depthwise kernel, or several (MixConv); ``expand_groups`` / ``project_groups``: MixNet's grouped 1x1s;
- ``se``: the SE ratio, of the block's *input* width (MnasNet and EfficientNet squeeze C_in * 0.25, where
  MobileNetV3 squeezes a quarter of the expanded width), with a sigmoid gate and the block's own activation;
- ``act``: the row's activation where it is not the network's (MixNet: ReLU early, swish late).

Widths scale as everywhere in lightnets (``make_divisible(c * width, 8)``); depths as EfficientNet's compound scaling
does, ceil(n * depth) per stage, or n * depth rounded to the nearest where an architecture says so (MixNet-M and -L,
as timm builds them; a stage of several rows shares its scaled repeats out from the last row back, as timm's builder
for the released MixNets does). Stochastic depth drops block i's residual branch with probability
``drop_path_rate * i / blocks``.

``widths=`` (:mod:`.widths`) gives the channel count of each layer as NetAdapt or a search leaves them: ``stem``, each
block's ``expand`` (expanded) and ``out`` widths, and the ``head`` 1x1 conv's; a block's SE squeezes its input width
by the row's ratio as ever. The width and depth multipliers still decide the topology (which blocks have a shortcut
or an expansion conv).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..layers import ConvNormAct, InvertedResidual, check_width, scale_width
from ..layers.same_padding import check_padding
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow
from .widths import Plan, block_ties, resolve_block_widths


@dataclass(frozen=True)
class MBConvRow:
    n: int
    k: int | tuple[int, ...]
    s: int
    e: float
    c: int
    se: float = 0.0
    act: str | None = None
    expand_groups: int = 1
    project_groups: int = 1

    @property
    def kernels(self) -> tuple[int, ...]:
        return (self.k,) if isinstance(self.k, int) else self.k


@dataclass(frozen=True)
class MBConvArchitecture:
    stem: int
    stages: tuple[tuple[MBConvRow, ...], ...]
    head: int  # the 1x1 conv before the pool
    act: str
    fix_head: bool = True  # the head keeps its width under a multiplier (all but EfficientNet-B's)
    fix_stem: bool = False  # EfficientNet-Lite: the stem keeps its width
    fix_first_last: bool = False  # EfficientNet-Lite: the first and last stages keep their repeats
    depth_rounding: str = "ceil"  # a stage's scaled repeats: "ceil" (EfficientNet) or "round" (MixNet-M/L)

    def __post_init__(self):
        if self.depth_rounding not in ("ceil", "round"):
            raise ValueError(f"depth_rounding must be 'ceil' or 'round', got {self.depth_rounding!r}")


def check_multiplier(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value and math.isfinite(value)):
        raise ValueError(f"{what} must be a finite number > 0, got {value!r}")
    return float(value)


def scale_depth(rows: tuple[MBConvRow, ...], depth: float, rounding: str = "ceil") -> list[int]:
    """The repeats of one stage's rows under a depth multiplier: total * depth rounded up (``"ceil"``) or to the
    nearest, at least 1 (``"round"``), shared out from the last row."""
    total = sum(row.n for row in rows)
    left, left_scaled = total, math.ceil(total * depth) if rounding == "ceil" else max(1, round(total * depth))
    scaled = []
    for row in reversed(rows):
        repeats = max(1, round(row.n / left * left_scaled))
        scaled.append(repeats)
        left, left_scaled = left - row.n, left_scaled - repeats
    return scaled[::-1]


def stage_repeats(arch: MBConvArchitecture, depth: float) -> list[list[int]]:
    """Every row's repeats at ``depth``, stage by stage."""
    last = len(arch.stages) - 1
    return [[row.n for row in rows] if arch.fix_first_last and i in (0, last) else
            scale_depth(rows, depth, arch.depth_rounding) for i, rows in enumerate(arch.stages)]


def check_grouped_widths(plan: Plan, block_rows: list[MBConvRow], family: str) -> None:
    """A 1x1 conv in groups (MixNet) needs its input and output widths divisible by its groups: name the slot that
    is not."""
    for i, row in enumerate(block_rows):
        width_in = ("widths['stem']", plan["stem"]) if i == 0 else (f"widths['out'][{i - 1}]", plan["out"][i - 1])
        expanded, out = (f"widths['expand'][{i}]", plan["expand"][i]), (f"widths['out'][{i}]", plan["out"][i])
        for conv, groups, ends in (("expansion", row.expand_groups, (width_in, expanded)),
                                   ("projection", row.project_groups, (expanded, out))):
            for slot, value in ends if groups > 1 else ():
                if value % groups:
                    raise ValueError(f"{family} block {i} splits its {conv} 1x1 into {groups} groups, so {slot} "
                                     f"must be divisible by {groups}, got {value}")


def build_mbconv_net(arch: MBConvArchitecture, *, num_classes: int, in_chans: int, width: float, depth: float,
                     drop_rate: float, drop_path_rate: float, bn_eps: float, padding: str, small_input: bool,
                     family: str, widths: Plan | None = None, default_cfg: dict | None = None) -> LightNet:
    """The network of ``arch`` at ``width`` and ``depth``, or with the per-layer ``widths`` of that network's plan;
    its body's stages are ``arch``'s stages. ``default_cfg`` is the family's preprocessing; the small-input form
    takes the 32x32 one. ``family`` names the builder in errors."""
    scaled = (arch.stem, *(row.c for rows in arch.stages for row in rows), *(() if arch.fix_head else (arch.head,)))
    width = check_width(width, scaled)
    depth = check_multiplier(depth, "depth (the multiplier of every stage's repeats)")
    check_padding(padding)
    if isinstance(drop_path_rate, bool) or not isinstance(drop_path_rate, (int, float)) or \
            not 0 <= drop_path_rate < 1:
        raise ValueError(f"drop_path_rate must be a probability in [0, 1), got {drop_path_rate!r}")
    repeats = stage_repeats(arch, depth)
    strides = Downsamplings.for_input(small_input)
    stem_stride = strides(2)
    block_rows: list[MBConvRow] = []
    block_strides: list[int] = []
    for rows, row_repeats in zip(arch.stages, repeats):
        for row, n in zip(rows, row_repeats):
            block_rows += [row] * n
            block_strides += [strides(row.s)] + [1] * (n - 1)
    default: Plan = {"stem": arch.stem if arch.fix_stem else scale_width(arch.stem, width), "expand": [], "out": []}
    for row in block_rows:
        in_chs = default["out"][-1] if default["out"] else default["stem"]
        default["expand"].append(scale_width(in_chs, row.e) if row.e != 1 else in_chs)
        default["out"].append(scale_width(row.c, width))
    default["head"] = arch.head if arch.fix_head else scale_width(arch.head, width)
    plan, shortcuts, expands = resolve_block_widths(widths, default, block_strides, family)
    check_grouped_widths(plan, block_rows, family)
    stem = ConvNormAct(in_chans, plan["stem"], 3, stem_stride, act=arch.act, bn_eps=bn_eps, padding=padding)
    body = StageStack(plan["stem"], stride=stem_stride)
    blocks = iter(enumerate(zip(block_rows, block_strides, plan["expand"], plan["out"], shortcuts, expands)))
    for rows, row_repeats in zip(arch.stages, repeats):
        for _ in range(sum(row_repeats)):
            index, (row, s, exp_chs, out_chs, shortcut, expand) = next(blocks)
            in_chs, act = body.chs, row.act or arch.act
            block = InvertedResidual(
                in_chs, out_chs, exp_chs, row.k, s, act=act, expand=expand, shortcut=shortcut,
                se_reduced=max(1, int(in_chs * row.se)) if row.se else None, se_gate="sigmoid", bn_eps=bn_eps,
                se_act=act, drop_path=drop_path_rate * index / len(block_rows), padding=padding,
                expand_groups=row.expand_groups, project_groups=row.project_groups)
            body.add(block, out_chs, s)
        body.end_stage()
    final_conv = ConvNormAct(body.chs, plan["head"], 1, act=arch.act, bn_eps=bn_eps)
    head = ClassifierHead(plan["head"], num_classes, drop_rate=drop_rate)
    model = LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out", final_conv=final_conv,
                     default_cfg=SMALL_INPUT_CFG if small_input else default_cfg)
    model.widths, model.width_ties = plan, block_ties(shortcuts, expands)
    if any(len(row.kernels) > 1 or row.expand_groups > 1 or row.project_groups > 1 for row in block_rows):
        model.unprunable = ("its MixConvs and grouped 1x1 convs split each width into groups, and a narrower width "
                            "splits anew, so the filters kept would not keep their kernel or group")
    return model


def mbconv_table(model: LightNet, arch: MBConvArchitecture, depth: float, source: str) -> PaperTable:
    """One row per row of ``arch`` (the network was built from it at ``depth``): operator (MBConv e, its kernels,
    SE), expansion, channels, layers and the first block's stride, as EfficientNet's Table 1 prints a stage."""
    rows = [TableRow(("stem",), ("Conv3x3", "-", "-", model.stem.conv.out_channels, 1, model.stem.conv.stride[0]))]
    for i, (specs, repeats) in enumerate(zip(arch.stages, stage_repeats(arch, depth))):
        j = 0
        for spec, n in zip(specs, repeats):
            first = model.stages[i][j]
            op = ("DWConv" if first.expand is None else f"MBConv{spec.e:g}") + ", " + \
                "/".join(f"{k}x{k}" for k in spec.kernels) + (", SE" if first.se is not None else "")
            groups = max(spec.expand_groups, spec.project_groups)
            op += f", {groups}-group 1x1" if groups > 1 else ""
            rows.append(TableRow(tuple(f"stages.{i}.{b}" for b in range(j, j + n)),
                                 (op, f"{spec.e:g}", f"{spec.se:g}" if first.se is not None else "-",
                                  first.project.conv.out_channels, n, first.dw.conv.stride[0])))
            j += n
    rows += [TableRow(("final_conv",), ("Conv1x1", "-", "-", model.final_conv.conv.out_channels, 1, 1)),
             TableRow(("head.pool",), ("Pooling", "-", "-", "-", 1, "-")),
             TableRow(("head.fc",), ("FC", "-", "-", model.num_classes or "-", 1, "-"))]
    return PaperTable(source, ("Operator", "e", "SE", "#Channels", "#Layers", "s"), tuple(rows))
