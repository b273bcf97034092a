"""ShuffleNet V2 (Ma et al. 2018, arXiv:1807.11164), Table 5.

Conv1 is a 3x3 convolution with stride 2 (BN, ReLU), then a 3x3 max pool of stride 2; Stages 2-4 are ShuffleNet V2
units (:mod:`..layers.shufflenet_v2_unit`), each stage's first of stride 2; Conv5 is a 1x1 convolution (BN, ReLU),
then global average pooling and a 1000-way FC. ``width`` picks one of Table 5's four columns (0.5x, 1x, 1.5x, 2x),
each its own channel list: the paper does not derive them by a rule, and 2x widens Conv5 to 2048. The registered
names are torchvision's, whose networks these are.

``authors_layout=True`` builds the network of the authors' code (megvii-model/ShuffleNet-Series), whose counts their
repository and Table 8 print: a stride-2 unit's left branch keeps its input width (:mod:`..layers.shufflenet_v2_unit`;
146 / 299 / 591 MFLOPs for 1x / 1.5x / 2x, where torchvision's layout counts 145 / 296 / 583) and the classifier has
no bias. Their channel split takes alternate channels rather than halves, a permutation that changes no count.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import ConvNormAct, ShuffleNetV2Unit, pooled_stem, pooled_stem_stride
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, first_stride, model_builder
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow


@dataclass(frozen=True)
class Stage:
    """A row of Table 5: layer name, output size for a 224 input, n = repeats (1 + the stride-1 units), s = the
    stride of the first."""

    name: str
    output_size: int
    n: int
    s: int


@dataclass(frozen=True)
class Channels:
    """A column of Table 5: the output channels of Conv1, Stages 2-4 and Conv5."""

    conv1: int
    stages: tuple[int, int, int]
    conv5: int


STAGES = (Stage("Stage2", 28, n=4, s=2), Stage("Stage3", 14, n=8, s=2), Stage("Stage4", 7, n=4, s=2))
WIDTHS = {
    0.5: Channels(24, (48, 96, 192), 1024),
    1.0: Channels(24, (116, 232, 464), 1024),
    1.5: Channels(24, (176, 352, 704), 1024),
    2.0: Channels(24, (244, 488, 976), 2048),
}


@model_builder
def shufflenet_v2(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    bn_eps: float = 1e-5,
    authors_layout: bool = False,
    small_input: bool = False,
) -> LightNet:
    """ShuffleNet V2 at one of Table 5's widths; ``small_input`` drops Conv1's stride and the max pool (total
    stride 8, for 32x32)."""
    if isinstance(width, bool) or not isinstance(width, (int, float)) or float(width) not in WIDTHS:
        raise ValueError(f"ShuffleNet V2 width must be one of {', '.join(map(str, WIDTHS))} (the columns of Table 5), "
                         f"got {width!r}")
    if not isinstance(authors_layout, bool):
        raise ValueError(f"authors_layout must be True or False, got {authors_layout!r}")
    channels = WIDTHS[float(width)]
    stem = pooled_stem(in_chans, channels.conv1, 3, bn_eps, check_small_input(small_input))
    body = StageStack(channels.conv1, stride=pooled_stem_stride(small_input))
    for spec, c in zip(STAGES, channels.stages):
        for s in first_stride(spec.n, spec.s):
            left = body.chs if authors_layout and s == 2 else None  # the stride-2 left branch keeps its input width
            body.add(ShuffleNetV2Unit(body.chs, c, s, bn_eps, left), c, s)
        body.end_stage()
    final_conv = ConvNormAct(body.chs, channels.conv5, 1, bn_eps=bn_eps)
    head = ClassifierHead(channels.conv5, num_classes, bias=not authors_layout)
    return LightNet(stem, body, head, in_chans=in_chans, init="pytorch", final_conv=final_conv,
                    default_cfg=SMALL_INPUT_CFG if small_input else None)


def shufflenet_v2_table(model: LightNet) -> PaperTable:
    """Table 5's column for the built network: Conv1, the max pool, Stages 2-4, Conv5, the global pool and the FC."""
    stem = model.stem.conv.conv
    rows = [TableRow(("stem.conv",), ("Conv1", "3x3", stem.stride[0], 1, stem.out_channels))]
    if hasattr(model.stem, "pool"):
        rows.append(TableRow(("stem.pool",), ("MaxPool", "3x3", 2, 1, stem.out_channels)))
    for i, (spec, stage) in enumerate(zip(STAGES, model.stages)):
        out = stage[-1].shuffle.channels
        rows.append(TableRow((f"stages.{i}.0",), (spec.name, "", stage[0].right.dw.conv.stride[0], 1, out)))
        rows.append(TableRow(tuple(f"stages.{i}.{j}" for j in range(1, len(stage))),
                             ("", "", 1, len(stage) - 1, out)))
    rows += [TableRow(("final_conv",), ("Conv5", "1x1", 1, 1, model.final_conv.conv.out_channels)),
             TableRow(("head.pool",), ("GlobalPool", "7x7", "-", "-", "-")),
             TableRow(("head.fc",), ("FC", "-", "-", "-", model.num_classes or "-"))]
    return PaperTable("ShuffleNet V2 (arXiv:1807.11164), Table 5", ("Layer", "KSize", "Stride", "Repeat",
                                                                     "Output channels"), tuple(rows))
