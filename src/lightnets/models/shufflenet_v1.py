"""ShuffleNet V1 (Zhang et al. 2017, arXiv:1707.01083), Table 1.

conv1 is a 3x3 convolution with stride 2 (BN, ReLU), then a 3x3 max pool of stride 2; Stages 2-4 are ShuffleNet
units (:mod:`..layers.shufflenet_unit`), each stage's first of stride 2; global average pooling and a 1000-way FC.
Table 1 gives each stage's output channels for g = 1, 2, 3, 4, 8 groups (the widths that keep the network near 140
MFLOPs); the bottleneck of every unit is a quarter of its output, and Stage 2's first 1x1 conv is not grouped.

``width`` is the paper's scale factor s ("ShuffleNet s x", Table 2: 0.25, 0.5, 1, 1.5, 2), which scales the number
of filters. Where s x a Table 1 width would leave a bottleneck the groups cannot split, it is rounded to a multiple
of 4g (every width of the authors' code, megvii-model/ShuffleNet-Series, is one). conv1's width is the authors'
per scale (24 at 1.5x, not 36: the 1.5x network's 292 MFLOPs of Table 5 and of their repository need it), rounded up
to a multiple of g so that the stride-2 unit's main branch divides (their g=8 0.5x network's 16); at 0.25x, which
their code does not build, it keeps 0.5x's 12, which gives Table 2's 13 MFLOPs (6 would give 11). As in the authors'
code the classifier has no bias.

The channel shuffle is the paper's (reshape to (g, n), transpose, flatten); the authors' code reshapes to (n, g),
the inverse permutation, so their checkpoints would need their 1x1 weights permuted to load here.

``se=True`` is the SENet paper's SE-ShuffleNet (Hu et al. 2017, arXiv:1709.01507, Table 3): a squeeze-and-excite
layer (C // ``se_reduction`` channels, sigmoid gate: :mod:`..layers.squeeze_excite`) on every unit's main branch
before the add or the concatenation, as SENet places it on a residual branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import SENET_REDUCTION, ShuffleNetUnit, make_divisible, pooled_stem, pooled_stem_stride, senet_se
from ..layers.squeeze_excite import se_option
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, first_stride, model_builder
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow


@dataclass(frozen=True)
class Stage:
    """A row of Table 1: layer name, output size for a 224 input, n = repeats (1 + the stride-1 units), s = the
    stride of the first."""

    name: str
    output_size: int
    n: int
    s: int


STAGES = (Stage("Stage2", 28, n=4, s=2), Stage("Stage3", 14, n=8, s=2), Stage("Stage4", 7, n=4, s=2))
# Table 1's output channels of Stages 2-4, per number of groups g
OUTPUT_CHANNELS = {1: (144, 288, 576), 2: (200, 400, 800), 3: (240, 480, 960), 4: (272, 544, 1088),
                   8: (384, 768, 1536)}
STEM = {0.25: 12, 0.5: 12, 1.0: 24, 1.5: 24, 2.0: 48}  # conv1's width per scale s
BOTTLENECK = 4  # a unit's bottleneck is 1/4 of its output


def stage_widths(groups: int, width: float) -> tuple[int, ...]:
    """Stages 2-4's output channels at scale ``width``: s x Table 1, a multiple of 4g."""
    return tuple(make_divisible(width * c, BOTTLENECK * groups) for c in OUTPUT_CHANNELS[groups])


@model_builder
def shufflenet_v1(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    groups: int = 3,
    bn_eps: float = 1e-5,
    small_input: bool = False,
    se: bool = False,
    se_reduction: int = SENET_REDUCTION,
) -> LightNet:
    """ShuffleNet s x with g groups; ``small_input`` drops conv1's stride and the max pool (total stride 8, for
    32x32); ``se`` SE-ShuffleNet."""
    _check(groups, width)
    reduction = se_option(se, se_reduction)
    stem_chs = -(-STEM[float(width)] // groups) * groups
    stem = pooled_stem(in_chans, stem_chs, 3, bn_eps, check_small_input(small_input))
    body = StageStack(stem_chs, stride=pooled_stem_stride(small_input))
    for i, (spec, c) in enumerate(zip(STAGES, stage_widths(groups, width))):
        for j, s in enumerate(first_stride(spec.n, spec.s)):
            first_groups = 1 if i == j == 0 else groups
            attn = None if reduction is None else senet_se(c - body.chs if s == 2 else c, reduction)  # main branch
            body.add(ShuffleNetUnit(body.chs, c, c // BOTTLENECK, groups, s, first_groups, bn_eps, attn), c, s)
        body.end_stage()
    head = ClassifierHead(body.chs, num_classes, bias=False)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out",
                    default_cfg=SMALL_INPUT_CFG if small_input else None)


def _check(groups: int, width: float) -> None:
    if isinstance(groups, bool) or groups not in OUTPUT_CHANNELS:
        raise ValueError(f"ShuffleNet V1 groups must be one of {', '.join(map(str, OUTPUT_CHANNELS))} (the columns "
                         f"of Table 1), got {groups!r}")
    if isinstance(width, bool) or not isinstance(width, (int, float)) or float(width) not in STEM:
        raise ValueError(f"ShuffleNet V1 width (the scale factor s) must be one of {', '.join(map(str, STEM))} "
                         f"(Table 2's 'ShuffleNet s x'), got {width!r}")


def shufflenet_v1_table(model: LightNet) -> PaperTable:
    """Table 1's column for the built network: conv1, the max pool, Stages 2-4 (output channels, repeats,
    stride), the global pool and the FC."""
    groups = model.config["groups"]
    stem = model.stem.conv.conv
    rows = [TableRow(("stem.conv",), ("Conv1", "3x3", stem.stride[0], 1, stem.out_channels))]
    if hasattr(model.stem, "pool"):
        rows.append(TableRow(("stem.pool",), ("MaxPool", "3x3", 2, 1, stem.out_channels)))
    for i, (spec, stage) in enumerate(zip(STAGES, model.stages)):
        out = stage[-1].gconv2.conv.out_channels
        rows.append(TableRow((f"stages.{i}.0",), (spec.name, "", stage[0].dw.conv.stride[0], 1, out)))
        rows.append(TableRow(tuple(f"stages.{i}.{j}" for j in range(1, len(stage))),
                             ("", "", 1, len(stage) - 1, out)))
    rows.append(TableRow(("head.pool",), ("GlobalPool", "7x7", "-", "-", "-")))
    rows.append(TableRow(("head.fc",), ("FC", "-", "-", "-", model.num_classes or "-")))
    return PaperTable("ShuffleNet V1 (arXiv:1707.01083), Table 1", ("Layer", "KSize", "Stride", "Repeat",
                                                                     f"g = {groups}"), tuple(rows))
