"""MobileNetV3-Large and -Small (Howard et al. 2019, arXiv:1905.02244), Tables 1 and 2.

Each row is one "bneck" (inverted residual): kernel, expansion size, output channels,
squeeze-and-excite, nonlinearity (RE = ReLU, HS = hard-swish), stride. Rows are grouped
into stages by resolution and width, as in the reference implementations.

Under a width multiplier each expansion keeps the paper's ratio to its *rounded* input
(the authors' TF code and timm do this; torchvision scales the expansion sizes directly,
which gives 140M instead of the published 155M MACs for Large 0.75).

SE squeezes to a quarter of the expanded width (rounded to a multiple of 8) and gates
with hard-sigmoid. The minimalistic variant drops SE and hard-swish and uses 3x3 kernels
only. Note: the paper's Table 2 marks SE on Small's final 1x1 conv; the released models
(TF reference, torchvision, timm) and the published 56M/2.5M count have none there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..layers import ConvNormAct, InvertedResidual, check_width, mobilenet_v3_width, scale_width
from ..layers.same_padding import check_padding
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack, model_builder
from .heads import ClassifierHead
from .output_stride import AtrousStrides, check_output_stride
from .paper_table import PaperTable, TableRow
from .widths import block_ties, resolve_block_widths


@dataclass(frozen=True)
class Bneck:
    k: int
    exp: int
    c: int
    se: bool
    nl: str  # "relu" (RE) or "hard_swish" (HS)
    s: int


@dataclass(frozen=True)
class Architecture:
    stem: int
    stages: tuple[tuple[Bneck, ...], ...]
    last_conv: int  # conv2d 1x1 before the pool
    hidden: int  # conv2d 1x1, NBN after the pool


RE, HS = "relu", "hard_swish"

LARGE = Architecture(
    stem=16,
    stages=(
        (Bneck(3, 16, 16, False, RE, 1),),
        (Bneck(3, 64, 24, False, RE, 2), Bneck(3, 72, 24, False, RE, 1)),
        (Bneck(5, 72, 40, True, RE, 2), Bneck(5, 120, 40, True, RE, 1), Bneck(5, 120, 40, True, RE, 1)),
        (Bneck(3, 240, 80, False, HS, 2), Bneck(3, 200, 80, False, HS, 1),
         Bneck(3, 184, 80, False, HS, 1), Bneck(3, 184, 80, False, HS, 1)),
        (Bneck(3, 480, 112, True, HS, 1), Bneck(3, 672, 112, True, HS, 1)),
        (Bneck(5, 672, 160, True, HS, 2), Bneck(5, 960, 160, True, HS, 1), Bneck(5, 960, 160, True, HS, 1)),
    ),
    last_conv=960,
    hidden=1280,
)

SMALL = Architecture(
    stem=16,
    stages=(
        (Bneck(3, 16, 16, True, RE, 2),),
        (Bneck(3, 72, 24, False, RE, 2), Bneck(3, 88, 24, False, RE, 1)),
        (Bneck(5, 96, 40, True, HS, 2), Bneck(5, 240, 40, True, HS, 1), Bneck(5, 240, 40, True, HS, 1),
         Bneck(5, 120, 48, True, HS, 1), Bneck(5, 144, 48, True, HS, 1)),
        (Bneck(5, 288, 96, True, HS, 2), Bneck(5, 576, 96, True, HS, 1), Bneck(5, 576, 96, True, HS, 1)),
    ),
    last_conv=576,
    hidden=1024,
)

ARCHITECTURES = {"large": LARGE, "small": SMALL}


def parse_stages(stages: list) -> tuple[tuple[Bneck, ...], ...]:
    """Bneck rows from data (a searched architecture): a list of stages, each a non-empty list
    of dicts with exactly Bneck's fields."""
    fields = set(Bneck.__dataclass_fields__)
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ValueError(f"stages must be a non-empty list of stages (lists of bneck dicts), got {stages!r}")
    parsed = []
    for i, stage in enumerate(stages):
        if not isinstance(stage, (list, tuple)) or not stage:
            raise ValueError(f"stages[{i}] must be a non-empty list of bneck dicts, got {stage!r}")
        rows = []
        for j, row in enumerate(stage):
            if not isinstance(row, dict) or set(row) != fields:
                raise ValueError(f"stages[{i}][{j}] must be a dict of {', '.join(sorted(fields))}, got {row!r}")
            k, exp, c, s = row["k"], row["exp"], row["c"], row["s"]
            if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (k, exp, c, s)) \
                    or k % 2 == 0 or s not in (1, 2):
                raise ValueError(f"stages[{i}][{j}]: k must be an odd integer, exp and c integers >= 1 and s 1 or 2, "
                                 f"got {row!r}")
            if not isinstance(row["se"], bool) or row["nl"] not in (RE, HS):
                raise ValueError(f"stages[{i}][{j}]: se must be true or false and nl {RE!r} or {HS!r}, got {row!r}")
            rows.append(Bneck(**row))
        parsed.append(tuple(rows))
    return tuple(parsed)


def architecture(size: str, stages: list | None = None) -> Architecture:
    """The paper's table for ``size``, its bneck rows replaced by ``stages`` when given."""
    if size not in ARCHITECTURES:
        raise ValueError(f"size must be one of {sorted(ARCHITECTURES)}, got {size!r}")
    arch = ARCHITECTURES[size]
    return arch if stages is None else replace(arch, stages=parse_stages(stages))


def minimalistic(row: Bneck) -> Bneck:
    """The minimalistic row: no SE, ReLU only, 3x3 kernels only."""
    return replace(row, k=3, se=False, nl=RE)


@model_builder
def mobilenet_v3(
    *,
    size: str = "large",
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    minimal: bool = False,
    drop_rate: float = 0.2,
    bn_eps: float = 1e-3,
    small_input: bool = False,
    widths: dict | None = None,
    stages: list | None = None,
    padding: str = "symmetric",
    output_stride: int = 32,
) -> LightNet:
    """MobileNetV3 Large or Small; ``small_input`` keeps the stem and the first stride-2
    bneck at stride 1 (total stride 8, for 32x32). ``widths`` (:mod:`.widths`): ``stem``,
    each bneck's ``expand`` and ``out`` widths (its SE width follows ``expand``), the
    ``last`` 1x1 conv's and the head's ``hidden`` width. ``stages`` replaces the table's
    bneck rows (a list of stages, each a list of dicts of k, exp, c, se, nl, s), as a
    platform-aware search leaves them (:mod:`lightnets.search.space`); stem, last conv and
    head stay ``size``'s. ``padding="same"``: TF's SAME padding, for the TF-trained weights timm ports
    (``tf_mobilenetv3_*``). ``output_stride`` 16 or 8 turns the last one or two stride-2 bnecks into stride 1 and
    dilates the depthwise convs from there on (:mod:`.output_stride`; 16 is torchvision's ``dilated=True``), for
    segmentation backbones."""
    arch = architecture(size, stages)
    # expansions follow their rounded inputs and the hidden FC never narrows: not width-scaled
    width = check_width(width, (arch.stem, *(row.c for rows in arch.stages for row in rows), arch.last_conv))
    top_act = RE if minimal else HS
    rows = [minimalistic(row) if minimal else row for stage in arch.stages for row in stage]
    default = {"stem": scale_width(arch.stem, width), "expand": [], "out": []}
    table_in = arch.stem  # the table's width of the block input, for the expansion ratio
    for row in rows:
        in_chs = default["out"][-1] if default["out"] else default["stem"]
        default["expand"].append(scale_width(in_chs, row.exp / table_in))
        default["out"].append(scale_width(row.c, width))
        table_in = row.c
    default["last"] = scale_width(arch.last_conv, width)
    default["hidden"] = scale_width(arch.hidden, max(1.0, width))
    strides = Downsamplings.for_input(small_input)
    stem_stride = strides(2)
    block_strides = [strides(row.s) for row in rows]
    plan, shortcuts, expands = resolve_block_widths(widths, default, block_strides, "mobilenet_v3")
    atrous = AtrousStrides(check_output_stride(output_stride, small_input), stem_stride)
    dilated = [atrous(s) for s in block_strides]  # shortcuts keep the table's strides, as torchvision's do
    check_padding(padding)
    stem = ConvNormAct(in_chans, plan["stem"], 3, stride=stem_stride, act=top_act, bn_eps=bn_eps, padding=padding)
    body = StageStack(plan["stem"], stride=stem_stride)
    blocks = iter(zip(rows, plan["expand"], plan["out"], dilated, shortcuts, expands))
    for stage in arch.stages:
        for _ in stage:
            row, exp_chs, out_chs, (s, dilation), shortcut, expand = next(blocks)
            block = InvertedResidual(
                body.chs, out_chs, exp_chs, row.k, s, act=row.nl,
                se_reduced=mobilenet_v3_width(exp_chs) if row.se else None, bn_eps=bn_eps, expand=expand,
                shortcut=shortcut, padding=padding, dilation=dilation,
            )
            body.add(block, out_chs, s)
        body.end_stage()
    final_conv = ConvNormAct(body.chs, plan["last"], 1, act=top_act, bn_eps=bn_eps)
    head = ClassifierHead(plan["last"], num_classes, hidden=plan["hidden"], act=top_act, drop_rate=drop_rate)
    model = LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out", final_conv=final_conv,
                     default_cfg=SMALL_INPUT_CFG if small_input else None)
    model.widths, model.width_ties = plan, block_ties(shortcuts, expands)
    return model


NL_NAMES = {RE: "RE", HS: "HS"}


def mobilenet_v3_table(model: LightNet) -> PaperTable:
    """Table 1 (Large) or 2 (Small): one row per bneck (kernel, exp size, #out, SE, NL, s),
    the stem, the last 1x1 conv, the pool and the two 1x1 convs after it (NBN: no BN)."""
    config = model.config
    arch = architecture(config["size"], config.get("stages"))
    top = NL_NAMES[RE if config["minimal"] else HS]
    rows = [TableRow(("stem",), ("conv2d", "-", model.stem.conv.out_channels, "-", top, model.stem.conv.stride[0]))]
    specs = [minimalistic(row) if config["minimal"] else row for stage in arch.stages for row in stage]
    blocks = [(f"stages.{i}.{j}", block) for i, stage in enumerate(model.stages) for j, block in enumerate(stage)]
    for (name, block), spec in zip(blocks, specs, strict=True):
        rows.append(TableRow((name,), (f"bneck, {spec.k}x{spec.k}", block.dw.conv.out_channels,
                                       block.project.conv.out_channels, "yes" if block.se else "-",
                                       NL_NAMES[spec.nl], block.dw.conv.stride[0])))
    hidden = model.head.hidden
    rows += [TableRow(("final_conv",), ("conv2d, 1x1", "-", model.final_conv.conv.out_channels, "-", top, 1)),
             TableRow(("head.pool",), ("pool", "-", "-", "-", "-", 1)),
             TableRow(("head.hidden", "head.act"), ("conv2d 1x1, NBN", "-", hidden.out_features, "-", top, 1)),
             TableRow(("head.fc",), ("conv2d 1x1, NBN", "-", model.num_classes or "-", "-", "-", 1))]
    table = 1 if config["size"] == "large" else 2
    source = f"MobileNetV3-{config['size'].title()} (arXiv:1905.02244), Table {table}"
    if config.get("stages") is not None:
        source = (f"MobileNetV3-{config['size'].title()} with searched stages, in the layout of arXiv:1905.02244 "
                 f"Table {table}")
    return PaperTable(source,
                      ("Operator", "exp size", "#out", "SE", "NL", "s"), tuple(rows))
