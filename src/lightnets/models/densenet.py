"""DenseNet-BC (Huang et al. 2017, "Densely Connected Convolutional Networks", arXiv:1608.06993), Table 1.

A 7x7 stride-2 convolution with 2k maps and a 3x3 max pool, four dense blocks with a
transition between consecutive ones, then BN-ReLU, global average pooling and the
classifier. Every dense layer is DenseNet-B's bottleneck (1x1 conv to ``bn_size * k`` = 4k
maps, then 3x3 conv to k) and every transition compresses its m input maps to
``floor(compression * m)`` (DenseNet-C, compression 0.5): Section 3, "Implementation Details".

A stage is one dense block, preceded (from the second on) by the transition whose pool
halves the resolution, so each stage ends where the stride is about to change.
``width`` multiplies the growth rate k (rounded to the nearest integer; DenseNet has no
multiple-of-8 rule), and the stem keeps 2k maps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..layers import DenseBlock, NormAct, Transition, check_width, pooled_stem, pooled_stem_stride, scale_width
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, model_builder
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow


@dataclass(frozen=True)
class Column:
    """One column of Table 1: the number of dense layers in each of the four dense blocks."""

    blocks: tuple[int, int, int, int]

    @property
    def depth(self) -> int:
        """Weighted layers: the stem conv, two convs per dense layer, three transitions, the FC layer
        (265 for the DenseNet-264 column: its name is one off)."""
        return 1 + 2 * sum(self.blocks) + (len(self.blocks) - 1) + 1


# Table 1 (k = 32); DenseNet-161 (k = 48) is the authors' released ImageNet model beside them.
COLUMNS = {
    121: Column(blocks=(6, 12, 24, 16)),
    161: Column(blocks=(6, 12, 36, 24)),
    169: Column(blocks=(6, 12, 32, 32)),
    201: Column(blocks=(6, 12, 48, 32)),
    264: Column(blocks=(6, 12, 64, 48)),
}
STEM_KERNEL = 7  # "7 x 7 conv, stride 2", then "3 x 3 max pool, stride 2"


def _check_positive_int(name: str, value: int, meaning: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1 ({meaning}), got {value!r}")


@model_builder
def densenet(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    depth: int = 121,
    growth_rate: int = 32,
    compression: float = 0.5,
    bn_size: int = 4,
    drop_rate: float = 0.0,
    memory_efficient: bool = False,
    bn_eps: float = 1e-5,
    small_input: bool = False,
) -> LightNet:
    """DenseNet-BC of ``depth`` layers with growth rate ``growth_rate`` (k).

    ``compression`` is theta in (0, 1] (1: DenseNet-B, no compression); ``bn_size`` the
    bottleneck's width in multiples of k; ``drop_rate`` the dropout after each dense layer
    (the paper's 0.2 on CIFAR without augmentation); ``memory_efficient`` recomputes each
    dense layer's concatenation and bottleneck in the backward pass (the same gradients,
    less memory). ``small_input`` is the CIFAR stem (one 3x3 conv at stride 1, no pool;
    total stride 8, for 32x32).
    """
    if isinstance(depth, bool) or depth not in COLUMNS:
        raise ValueError(f"unknown DenseNet depth {depth!r}; valid: {', '.join(map(str, COLUMNS))}")
    _check_positive_int("growth_rate", growth_rate, "k, the maps each dense layer adds")
    _check_positive_int("bn_size", bn_size, "the bottleneck's width in multiples of the growth rate")
    if isinstance(compression, bool) or not isinstance(compression, (int, float)) or not 0 < compression <= 1:
        raise ValueError(f"compression must be a number in (0, 1] (theta: a transition keeps floor(theta * m) of "
                         f"its m maps; 0.5 in DenseNet-BC, 1 keeps them all), got {compression!r}")
    if isinstance(drop_rate, bool) or not isinstance(drop_rate, (int, float)) or not 0 <= drop_rate < 1:
        raise ValueError(f"drop_rate must be a number in [0, 1), got {drop_rate!r}")
    if not isinstance(memory_efficient, bool):
        raise ValueError(f"memory_efficient must be True or False, got {memory_efficient!r}")
    width = check_width(width)
    k = scale_width(growth_rate, width, divisor=1)
    stem = pooled_stem(in_chans, 2 * k, STEM_KERNEL, bn_eps, check_small_input(small_input))
    body = StageStack(2 * k, stride=pooled_stem_stride(small_input))
    for i, num_layers in enumerate(COLUMNS[depth].blocks):
        if i:
            out_chs = math.floor(compression * body.chs)
            if out_chs < 1:
                raise ValueError(f"compression {compression!r} leaves transition {i} none of its {body.chs} maps; "
                                 f"it needs at least 1 / {body.chs}")
            body.add(Transition(body.chs, out_chs, bn_eps=bn_eps), out_chs, 2)
        block = DenseBlock(body.chs, num_layers, k, bn_size, drop_rate, bn_eps, memory_efficient)
        body.add(block, block.out_chs)
        body.end_stage()
    final = NormAct(body.chs, bn_eps=bn_eps)
    head = ClassifierHead(body.chs, num_classes)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_in", final_conv=final,
                    default_cfg=SMALL_INPUT_CFG if small_input else None)


def densenet_table(model: LightNet) -> PaperTable:
    """Table 1's column for this network: the stem conv and pool, each dense block and
    transition, the classification layer (where the final BN-ReLU, which the table leaves out,
    is counted); k and the layer counts are the built model's."""
    k = model.stages[0][-1].layers[0].conv.conv.out_channels
    stem = model.stem.conv.conv
    rows = [TableRow(("stem.conv",), ("Convolution", f"{stem.kernel_size[0]} x {stem.kernel_size[0]} conv, "
                                                      f"stride {stem.stride[0]}"))]
    if hasattr(model.stem, "pool"):
        rows.append(TableRow(("stem.pool",), ("Pooling", "3 x 3 max pool, stride 2")))
    for i, stage in enumerate(model.stages):
        if i:
            rows.append(TableRow((f"stages.{i}.0",), (f"Transition Layer ({i})",
                                                      "1 x 1 conv, 2 x 2 average pool, stride 2")))
        rows.append(TableRow((f"stages.{i}.{len(stage) - 1}",), (
            f"Dense Block ({i + 1})", f"[1 x 1 conv, 3 x 3 conv] x {len(stage[-1].layers)}")))
    rows.append(TableRow(("final_conv", "head"), (
        "Classification Layer", f"global average pool, {model.num_classes or '-'}D fully-connected, softmax")))
    depth = model.config["depth"]
    return PaperTable("DenseNet (arXiv:1608.06993), Table 1", ("Layers", f"DenseNet-{depth} (k = {k})"), tuple(rows))
