"""VGG (Simonyan and Zisserman 2014, "Very deep convolutional networks for large-scale image
recognition", arXiv:1409.1556, Table 1), configurations A, B, D and E: VGG-11, -13, -16, -19.

Five groups of 3x3 convolutions (stride 1, padding 1, ReLU), each closed by a 2x2 max pool
with stride 2, then FC-4096, FC-4096 (dropout 0.5 on both, Section 3.1) and the
classifier. The ``batch_norm`` variants put BN between each conv and its ReLU, as
torchvision's ``vgg*_bn`` (whose convs keep their biases) do; the paper has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..layers import ConvNormAct, check_width, scale_width
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack, model_builder
from .heads import FCStackHead


@dataclass(frozen=True)
class Group:
    """One group of Table 1 between max pools: n layers of "conv3-c"."""

    n: int
    c: int


# Table 1, by weight layers: A (11), B (13), D (16), E (19).
CONFIGS = {
    11: (Group(1, 64), Group(1, 128), Group(2, 256), Group(2, 512), Group(2, 512)),
    13: (Group(2, 64), Group(2, 128), Group(2, 256), Group(2, 512), Group(2, 512)),
    16: (Group(2, 64), Group(2, 128), Group(3, 256), Group(3, 512), Group(3, 512)),
    19: (Group(2, 64), Group(2, 128), Group(4, 256), Group(4, 512), Group(4, 512)),
}
FC = (4096, 4096)
MAP_SIZE = 7  # the last pool's map at 224
SMALL_MAP_SIZE = 4  # small_input: the last pool's map at 32


@model_builder
def vgg(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    depth: int = 16,
    batch_norm: bool = False,
    drop_rate: float = 0.5,
    small_input: bool = False,
) -> LightNet:
    """VGG-``depth``; ``width`` thins every conv layer and both hidden FC layers alike.
    BN, where asked for, has PyTorch's (and torchvision's) eps of 1e-5. ``small_input``
    leaves out the first two max pools (total stride 8, for 32x32) and sizes the FC layers
    for the 4x4 map that leaves."""
    if depth not in CONFIGS:
        raise ValueError(f"VGG depth must be one of {', '.join(map(str, CONFIGS))} (Table 1: A, B, D, E), "
                         f"got {depth!r}")
    groups = CONFIGS[depth]
    width = check_width(width, (*(g.c for g in groups), *FC))
    strides = Downsamplings.for_input(small_input)
    body = StageStack(in_chans, stride=1)
    for group in groups:
        out_chs = scale_width(group.c, width)
        for _ in range(group.n):
            body.add(ConvNormAct(body.chs, out_chs, 3, norm=batch_norm, bias=True), out_chs)
        if strides(2) == 2:
            body.add(nn.MaxPool2d(2, 2), out_chs, 2)
        body.end_stage()
    head = FCStackHead(body.chs, num_classes, map_size=SMALL_MAP_SIZE if small_input else MAP_SIZE,
                       hidden=tuple(scale_width(c, width) for c in FC), drop_rate=drop_rate)
    return LightNet(nn.Identity(), body, head, in_chans=in_chans, init="kaiming_fan_out",
                    default_cfg=SMALL_INPUT_CFG if small_input else None)
