"""AlexNet (Krizhevsky, Sutskever and Hinton 2012, "ImageNet classification with deep
convolutional neural networks", NeurIPS, Sections 3.2-3.5 and Fig. 2), in two layouts.

- ``towers=True``, the paper's network: 96-256-384-384-256 kernels; the second, fourth and
  fifth convolutional layers see only the kernel maps "which reside on the same GPU"
  (``groups=2``: each tower half of the previous layer's maps); response normalisation
  (Section 3.3) after the ReLU of the first two layers, within each tower; overlapping 3x3
  max pools with stride 2 (Section 3.4) after both normalisations and after the fifth
  layer. The first layer's 11x11 kernels with stride 4 and no padding need a 227x227 input
  for the 55x55 maps of Fig. 2 (the figure's 224 does not divide).
- ``towers=False``, torchvision's single-tower layout (``torchvision.models.alexnet``, after
  Krizhevsky's "One weird trick", arXiv:1404.5997): 64-192-384-256-256 kernels, padding 2 on
  the first layer, no grouping, no normalisation, 224 input.

Both end in FC6-FC8 (4096, 4096, classes) with dropout 0.5 on the two hidden layers
("we use dropout in the first two fully-connected layers", Section 4.2); torchvision
drops out before FC6 and FC7 instead, which changes training only.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..layers import ConvNormAct, LocalResponseNorm, check_width, scale_width
from .base import LightNet
from .builder import SMALL_INPUT_CFG, StageStack, check_small_input, model_builder
from .heads import FCStackHead


@dataclass(frozen=True)
class ConvLayer:
    """One convolutional layer of Fig. 2: c kernels of k x k, stride s, padding p, split into
    ``groups`` towers; then response normalisation (``lrn``) and the 3x3/2 max pool (``pool``)."""

    c: int
    k: int
    s: int
    p: int
    groups: int = 1
    lrn: bool = False
    pool: bool = False


@dataclass(frozen=True)
class Architecture:
    layers: tuple[ConvLayer, ...]
    towers: int  # channel groups the response normalisation stays within
    input_size: int
    # The smallest input whose three 3x3/2 pools each still see a 3x3 window: the last pool
    # needs 3 rows, so the second 7 and the first 15, which the first conv gives from 63 rows
    # with padding 2 ((63 + 4 - 11) / 4 + 1 = 15) and from 67 without.
    min_input: int


PAPER = Architecture(
    layers=(
        ConvLayer(c=96, k=11, s=4, p=0, lrn=True, pool=True),
        ConvLayer(c=256, k=5, s=1, p=2, groups=2, lrn=True, pool=True),
        ConvLayer(c=384, k=3, s=1, p=1),
        ConvLayer(c=384, k=3, s=1, p=1, groups=2),
        ConvLayer(c=256, k=3, s=1, p=1, groups=2, pool=True),
    ),
    towers=2,
    input_size=227,
    min_input=67,
)
TORCHVISION = Architecture(
    layers=(
        ConvLayer(c=64, k=11, s=4, p=2, pool=True),
        ConvLayer(c=192, k=5, s=1, p=2, pool=True),
        ConvLayer(c=384, k=3, s=1, p=1),
        ConvLayer(c=256, k=3, s=1, p=1),
        ConvLayer(c=256, k=3, s=1, p=1, pool=True),
    ),
    towers=1,
    input_size=224,
    min_input=63,
)
FC = (4096, 4096)
MAP_SIZE = 6  # the fifth layer's pooled map at the designed input: 13x13 -> 6x6
# small_input: the first layer at stride 1 with padding 5 keeps a 32x32 image's size, so the
# three pools leave 15, 7 and 3 rows (total stride 8); 15 rows is the least they take.
SMALL_MAP_SIZE, SMALL_MIN_INPUT, SMALL_PADDING = 3, 15, 5


@model_builder
def alexnet(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    towers: bool = False,
    drop_rate: float = 0.5,
    small_input: bool = False,
) -> LightNet:
    """AlexNet; ``width`` thins every conv layer and both hidden FC layers alike.
    ``small_input`` runs the first layer at stride 1 (padding 5) for 32x32 images: total
    stride 8, and FC6 sized for the 3x3 map that leaves."""
    arch = PAPER if towers else TORCHVISION
    check_small_input(small_input)
    width = check_width(width, (*(layer.c for layer in arch.layers), *FC))
    body = StageStack(in_chans, stride=1)
    for i, layer in enumerate(arch.layers):
        out_chs = scale_width(layer.c, width)
        stride, padding = (1, SMALL_PADDING) if small_input and i == 0 else (layer.s, layer.p)
        body.add(ConvNormAct(body.chs, out_chs, layer.k, stride, groups=layer.groups, norm=False, padding=padding),
                 out_chs, stride)
        if layer.lrn:
            body.add(LocalResponseNorm(towers=arch.towers), out_chs)
        if layer.pool:
            body.add(nn.MaxPool2d(3, 2), out_chs, 2)
            body.end_stage()
    head = FCStackHead(body.chs, num_classes, map_size=SMALL_MAP_SIZE if small_input else MAP_SIZE,
                       hidden=tuple(scale_width(c, width) for c in FC), drop_rate=drop_rate)
    cfg = dict(input_size=arch.input_size, crop_pct=arch.input_size / 256)  # the centre crop of a 256 resize
    return LightNet(nn.Identity(), body, head, in_chans=in_chans, init="pytorch",
                    default_cfg=SMALL_INPUT_CFG if small_input else cfg,
                    min_input=SMALL_MIN_INPUT if small_input else arch.min_input)
