"""ResNet (He et al. 2015, arXiv:1512.03385), Table 1, the wide ResNet-50-2 / 101-2 and ResNeXt-50 / 101.

conv1 is a 7x7 convolution with stride 2 (BN, ReLU) and conv2_x begins with a 3x3 max pool of stride 2; four stages of
basic blocks (ResNet-18/34) or bottlenecks (ResNet-50/101/152) follow, each after the first halving the resolution in
its first block, then global average pooling and a 1000-way FC. Shortcuts are identities, with a projection (1x1 conv
+ BN) where a block changes the shape: the paper's option B, as torchvision and timm build it.

``stride_in_1x1`` places a bottleneck's stride: on its 3x3 conv (``False``, torchvision's and timm's "ResNet v1.5",
ResNet-50 4.09 GMACs) or on its first 1x1 conv (``True``, the paper's Caffe models, 3.86 GMACs); the parameters are
the same. ``base_width`` is the bottleneck width of conv2_x (torchvision's ``width_per_group``); later stages scale it
with their ``c``. Wide ResNet-50-2 / 101-2 (Zagoruyko & Komodakis 2016, arXiv:1605.07146, as torchvision builds them)
are ResNet-50 / 101 with ``base_width=128``: twice the 3x3 convs' width, the same outer widths.

ResNeXt (Xie et al. 2016, arXiv:1611.05431, Table 1) is the same network with grouped bottlenecks: ``cardinality``
C groups of width d = ``base_width`` in conv2_x's 3x3 conv (C x d channels, doubling per stage with ``c``), as
torchvision's ``groups`` / ``width_per_group``: ResNeXt-50 32x4d has [1x1, 128; 3x3, 128, C=32; 1x1, 256] in conv2_x.
The paper strides the 3x3 conv (fb.resnet.torch's layout, as torchvision and timm do).

``width`` scales every stage's ``c`` and the stem by the lightnets width policy (multiples of 8); the bottleneck's
inner width follows its scaled ``c`` as at full width, so ``width=1.0`` is exactly torchvision's network.

``attention`` adds one of the attention blocks to every residual block, as its paper does:

- ``"selective_kernel"``, SKNet (Li et al. 2019, arXiv:1903.06586, Table 1): every bottleneck's 3x3 conv (a basic
  block's first one) becomes a selective kernel of 3x3 and dilated-3x3 branches (M = 2, the block's groups G, d =
  max(C / ``sk_reduction``, ``sk_min_width``)); SKNet-50 / 101 are ResNeXt-50 / 101 32x4d so built (r = 16, L = 32),
  timm's SK-ResNet-18 / 34 take r = 8, L = 16 and ``sk_split_input``;
- ``"gather_excite"``, GENet (Hu et al. 2018, arXiv:1810.12348, Section 4): a gather-excite of form ``gather`` and
  ``extent`` on every block's output before the addition; the global θ / θ⁺ gathers are sized for the default input
  (224, or 32 with ``small_input``: the model's ``min_input``) and refuse other sizes;
- ``"global_context"``, GCNet (Cao et al. 2019, arXiv:1904.11492, Section 5.1): a GC block (bottleneck ratio
  ``gc_ratio``, fusion by addition) on the output of every block of conv3_x to conv5_x (c3-c5);
- ``"squeeze_excite"``, SENet (Hu et al. 2017, arXiv:1709.01507, Fig. 3 and Table 1): an SE layer (C // r channels,
  r = ``se_reduction``, sigmoid gate: :mod:`..layers.squeeze_excite`) on every block's output before the addition.
  ``senet_layout`` is the layout of the SENet models as released in Caffe (ported by Cadene's pretrainedmodels, timm's
  ``legacy_se*``): conv2_x's max pool without padding, rounding its size up, and in the basic blocks of
  SE-ResNet-18 / 34 a ReLU on the second conv's output before the SE. Their SE-ResNets also stride the first 1x1 conv
  (``stride_in_1x1``), their SE-ResNeXts the 3x3 conv; timm's ``seresnet50`` / ``seresnext*`` are torchvision's
  networks with the SE layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from torch import nn

from ..layers import (SENET_REDUCTION, BasicBlock, Bottleneck, GatherExcite, GlobalContext, SelectiveKernel,
                      SqueezeExcite, check_width, pooled_stem, pooled_stem_stride, scale_width, senet_se)
from ..layers.squeeze_excite import check_reduction
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, first_stride, model_builder
from .heads import ClassifierHead
from .paper_table import PaperTable, TableRow


@dataclass(frozen=True)
class Stage:
    """A row of Table 1: layer name, output size for a 224 input, c = the width of its 3x3 convs (a basic block's
    output; a bottleneck outputs ``EXPANSION * c``), s = the stride of its first block."""

    name: str
    output_size: int
    c: int
    s: int


@dataclass(frozen=True)
class Depth:
    """A column of Table 1: the block every stage is built of and how many each stage of ``STAGES`` has."""

    block: type[BasicBlock] | type[Bottleneck]
    n: tuple[int, int, int, int]


STEM = 64  # conv1: 7x7, 64, stride 2 (output 112x112), then conv2_x's 3x3 max pool, stride 2
STAGES = (
    Stage("conv2_x", 56, c=64, s=1),
    Stage("conv3_x", 28, c=128, s=2),
    Stage("conv4_x", 14, c=256, s=2),
    Stage("conv5_x", 7, c=512, s=2),
)
DEPTHS = {
    18: Depth(BasicBlock, (2, 2, 2, 2)),
    34: Depth(BasicBlock, (3, 4, 6, 3)),
    50: Depth(Bottleneck, (3, 4, 6, 3)),
    101: Depth(Bottleneck, (3, 4, 23, 3)),
    152: Depth(Bottleneck, (3, 8, 36, 3)),
}
EXPANSION = 4  # a bottleneck's last 1x1 conv: [1x1, 64; 3x3, 64; 1x1, 256]
BASE_WIDTH = 64  # the paper's bottleneck width in conv2_x (ResNeXt: the width of each of its groups)
ATTENTIONS = ("selective_kernel", "gather_excite", "global_context", "squeeze_excite")
# each attention's own options and their defaults (given with another attention, they are refused)
ATTENTION_OPTIONS = {
    "selective_kernel": {"sk_reduction": 16, "sk_min_width": 32, "sk_split_input": False},  # SKNet's r, L
    "gather_excite": {"gather": "theta_minus", "extent": "global"},
    "global_context": {"gc_ratio": 1 / 16},
    "squeeze_excite": {"se_reduction": SENET_REDUCTION, "senet_layout": False},
}
GC_STAGES = ("conv3_x", "conv4_x", "conv5_x")  # GCNet's c3-c5


@model_builder
def resnet(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    depth: int = 50,
    stride_in_1x1: bool = False,
    base_width: int = BASE_WIDTH,
    cardinality: int = 1,
    bn_eps: float = 1e-5,
    small_input: bool = False,
    attention: str | None = None,
    sk_reduction: int = 16,
    sk_min_width: int = 32,
    sk_split_input: bool = False,
    gather: str = "theta_minus",
    extent: int | str = "global",
    gc_ratio: float = 1 / 16,
    se_reduction: int = SENET_REDUCTION,
    senet_layout: bool = False,
) -> LightNet:
    """ResNet-18 to 152 (ResNeXt with ``cardinality`` > 1); ``small_input`` is the CIFAR stem (3x3 conv at stride 1,
    no max pool; total stride 8, for 32x32); ``attention`` SKNet, GENet, GCNet or SENet."""
    options = {"sk_reduction": sk_reduction, "sk_min_width": sk_min_width, "sk_split_input": sk_split_input,
               "gather": gather, "extent": extent, "gc_ratio": gc_ratio, "se_reduction": se_reduction,
               "senet_layout": senet_layout}
    _check_attention(attention, options)
    check_reduction(se_reduction)
    if not isinstance(senet_layout, bool):
        raise ValueError(f"senet_layout must be True or False, got {senet_layout!r}")
    column = _check_depth(depth)
    _check_bottleneck_options(depth, column, stride_in_1x1, base_width, cardinality)
    width = check_width(width, (STEM, *(spec.c for spec in STAGES)))
    if column.block is Bottleneck:
        check_group_width(width, base_width)
    stem_chs = scale_width(STEM, width)
    stem = pooled_stem(in_chans, stem_chs, 7, bn_eps, check_small_input(small_input), ceil_pool=senet_layout)
    body = StageStack(stem_chs, stride=pooled_stem_stride(small_input))
    conv3x3 = None
    if attention == "selective_kernel":
        conv3x3 = partial(_selective_kernel, reduction=sk_reduction, min_width=sk_min_width,
                          split_input=sk_split_input, bn_eps=bn_eps)
    input_side = SMALL_INPUT_CFG["input_size"] if small_input else 224
    for spec, n in zip(STAGES, column.n):
        c = scale_width(spec.c, width)
        out_chs = c if column.block is BasicBlock else EXPANSION * c
        for s in first_stride(n, spec.s):
            side = -(-input_side // (body.stride * s))  # the block's output map at the default input
            attn = _attention(attention, spec.name, out_chs, side, bn_eps, **options)
            if column.block is BasicBlock:
                body.add(BasicBlock(body.chs, c, s, bn_eps=bn_eps, conv3x3=conv3x3, attn=attn,
                                    conv2_act="relu" if senet_layout else None), c, s)
            else:
                mid = group_width(c, base_width) * cardinality
                block = Bottleneck(body.chs, out_chs, mid, s, stride_in_1x1, bn_eps, cardinality, conv3x3, attn)
                body.add(block, out_chs, s)
        body.end_stage()
    head = ClassifierHead(body.chs, num_classes)
    sized = attention == "gather_excite" and gather != "theta_minus" and extent == "global"
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out_convs",
                    default_cfg=SMALL_INPUT_CFG if small_input else None, min_input=input_side if sized else None)


def _selective_kernel(in_chs: int, out_chs: int, stride: int, groups: int, **options: Any) -> SelectiveKernel:
    return SelectiveKernel(in_chs, out_chs, stride, groups, **options)


def _attention(attention: str | None, stage: str, channels: int, side: int, bn_eps: float, *, gather: str,
               extent: int | str, gc_ratio: float, se_reduction: int, **_others: Any) -> nn.Module | None:
    """The module on a block's output before the addition, for the block of ``stage`` whose output map is ``side``
    pixels a side at the default input."""
    if attention == "squeeze_excite":
        return senet_se(channels, se_reduction)
    if attention == "gather_excite":
        return GatherExcite(channels, gather, extent, size=side, bn_eps=bn_eps)
    if attention == "global_context" and stage in GC_STAGES:
        return GlobalContext(channels, gc_ratio)
    return None


def _check_attention(attention: str | None, options: dict[str, Any]) -> None:
    if attention is not None and attention not in ATTENTIONS:
        raise ValueError(f"attention must be None or one of {', '.join(ATTENTIONS)}, got {attention!r}")
    for kind, defaults in ATTENTION_OPTIONS.items():
        given = {name: options[name] for name, default in defaults.items() if options[name] != default}
        if given and attention != kind:
            raise ValueError(f"{', '.join(f'{k}={v!r}' for k, v in given.items())} apply to attention={kind!r} "
                             f"only, got attention={attention!r}")


def _check_depth(depth: int) -> Depth:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth not in DEPTHS:
        raise ValueError(f"ResNet depth must be one of {', '.join(map(str, DEPTHS))} (the columns of Table 1), "
                         f"got {depth!r}")
    return DEPTHS[depth]


def group_width(c: int, base_width: int) -> int:
    """The width of each group of a stage's 3x3 convs: ``base_width`` in conv2_x, scaled with the stage's ``c``
    (floored, as torchvision's ``int(planes * width_per_group / 64)``)."""
    return c * base_width // BASE_WIDTH


def check_group_width(width: float, base_width: int) -> None:
    """A ValueError where ``width`` leaves conv2_x (the narrowest stage) groups of no channel."""
    c = scale_width(STAGES[0].c, width)
    if group_width(c, base_width) < 1:
        raise ValueError(f"width={width:g} with base_width={base_width} leaves conv2_x's 3x3 conv groups of "
                         f"{c} x {base_width} / {BASE_WIDTH} < 1 channel; take a larger width or base_width")


def _check_bottleneck_options(depth: int, column: Depth, stride_in_1x1: bool, base_width: int,
                              cardinality: int) -> None:
    if not isinstance(stride_in_1x1, bool):
        raise ValueError(f"stride_in_1x1 must be True or False, got {stride_in_1x1!r}")
    if isinstance(base_width, bool) or not isinstance(base_width, int) or base_width < 1:
        raise ValueError(f"base_width must be an integer >= 1 (the width of conv2_x's bottleneck, or of each of its "
                         f"groups: 64 in the paper, 128 for wide ResNet, 4 for ResNeXt 32x4d), got {base_width!r}")
    if isinstance(cardinality, bool) or not isinstance(cardinality, int) or cardinality < 1:
        raise ValueError(f"cardinality must be an integer >= 1 (the groups of every bottleneck's 3x3 conv: 1 in "
                         f"ResNet, 32 in ResNeXt 32x4d), got {cardinality!r}")
    if column.block is BasicBlock and (stride_in_1x1 or base_width != BASE_WIDTH or cardinality != 1):
        raise ValueError(f"ResNet-{depth} is built of basic blocks (two 3x3 convs), which have no bottleneck: "
                         f"stride_in_1x1, base_width and cardinality apply to ResNet-50/101/152 only, got "
                         f"stride_in_1x1={stride_in_1x1!r}, base_width={base_width!r}, cardinality={cardinality!r}")


def _conv(layer: nn.Module) -> nn.Conv2d:
    """A block's conv: a selective kernel's first branch."""
    return layer.branches[0].conv if isinstance(layer, SelectiveKernel) else layer.conv


def _conv_cell(layer: nn.Module, sk_reduction: int) -> str:
    """A conv as Table 1 prints it (``3x3, 128, C=32``); a selective kernel as SKNet's Table 1 does
    (``SK[M=2, G=32, r=16], 128``)."""
    c = _conv(layer)
    if isinstance(layer, SelectiveKernel):
        return f"SK[M={len(layer.branches)}, G={c.groups}, r={sk_reduction}], {c.out_channels}"
    return f"{c.kernel_size[0]}x{c.kernel_size[1]}, {c.out_channels}" + (f", C={c.groups}" if c.groups > 1 else "")


def resnet_table(model: LightNet) -> PaperTable:
    """Table 1's column for the built network: conv1, conv2_x (the max pool and its blocks) to conv5_x as
    ``[kernel, width; ...] x n``, and the pool and FC; widths are the built model's (``width``, ``base_width``).
    A ResNeXt (``cardinality`` > 1) gets the ResNeXt paper's Table 1 instead: stages conv1 to conv5 and the 3x3 convs'
    groups as ``C=32``."""
    depth, cardinality = model.config["depth"], model.config["cardinality"]
    stem = model.stem.conv.conv
    rows = [TableRow(("stem.conv",), ("conv1", f"{stem.kernel_size[0]}x{stem.kernel_size[1]}, {stem.out_channels}, "
                                                f"stride {stem.stride[0]}"))]
    for i, (spec, stage) in enumerate(zip(STAGES, model.stages)):
        block = stage[0]
        convs = [getattr(block, name) for name in ("conv1", "conv2", "conv3") if hasattr(block, name)]
        cells = [_conv_cell(c, model.config["sk_reduction"]) for c in convs]
        if isinstance(getattr(block, "attn", None), SqueezeExcite):  # SENet's Table 1: "fc, [16, 256]"
            cells.append(f"fc, [{block.attn.fc1.out_channels}, {block.attn.fc2.out_channels}]")
        cell = "[" + "; ".join(cells) + "]"
        cell = f"{cell} x {len(stage)}"
        modules = (f"stages.{i}",)
        if i == 0 and hasattr(model.stem, "pool"):  # Table 1 prints conv1's max pool in conv2_x
            cell, modules = f"3x3 max pool, stride 2; {cell}", ("stem.pool", *modules)
        rows.append(TableRow(modules, (spec.name if cardinality == 1 else spec.name.removesuffix("_x"), cell)))
    fc = f", {model.num_classes}-d fc, softmax" if model.num_classes else ""
    rows.append(TableRow(("head",), ("-", f"{'average' if cardinality == 1 else 'global average'} pool{fc}")))
    group = _conv(model.stages[0][0].conv2).out_channels // cardinality if cardinality > 1 else None
    if model.config["attention"] == "squeeze_excite":  # SENet's Table 1 prints SE-ResNet-50 and SE-ResNeXt-50
        column = f"SE-ResNet-{depth}" if group is None else f"SE-ResNeXt-{depth} ({cardinality}x{group}d)"
        return PaperTable("SENet (arXiv:1709.01507), Table 1", ("stage", column), tuple(rows))
    if cardinality == 1:
        return PaperTable("ResNet (arXiv:1512.03385), Table 1", ("layer name", f"{depth}-layer"), tuple(rows))
    return PaperTable("ResNeXt (arXiv:1611.05431), Table 1", ("stage", f"ResNeXt-{depth} ({cardinality}x{group}d)"),
                      tuple(rows))
