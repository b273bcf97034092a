"""SqueezeNet (Iandola et al. 2016, arXiv:1602.07360), versions 1.0 and 1.1.

Version 1.0 is the paper's Table 1: a 7x7/2 conv of 96 filters (unpadded), eight Fire modules
(:class:`~lightnets.layers.Fire`) widening in steps of 128 channels, 3x3/2 max pools after
conv1, fire4 and fire8 (Section 3.3, "late downsampling"), and conv10, a 1x1 conv to the
classes with ReLU and global average pooling, after dropout 0.5 (the
:class:`~lightnets.models.heads.ConvClassifierHead`). Version 1.1 (forresti/SqueezeNet,
SqueezeNet_v1.1) has a 3x3/2 conv of 64 filters and pools after conv1, fire3 and fire5: the
same Fire modules, 2.4x less computation. Pools are Caffe's ceil mode, as torchvision builds
them (224 -> 109 -> 54 -> 27 -> 13 in 1.0).

``bypass`` adds Section 6's shortcuts (Fig. 2): "simple" an identity around fire3, fire5,
fire7 and fire9, whose input and output widths match; "complex" also a 1x1 conv around fire2,
fire4, fire6 and fire8, whose widths differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..layers import ConvNormAct, Fire, check_width, scale_width
from .base import LightNet
from .builder import SMALL_INPUT_CFG, Downsamplings, StageStack, model_builder
from .heads import ConvClassifierHead


@dataclass(frozen=True)
class FireSpec:
    """One Fire module's row of Table 1: the squeeze 1x1 filters and the expand 1x1 and 3x3 filters."""

    s1x1: int
    e1x1: int
    e3x3: int


@dataclass(frozen=True)
class Version:
    """conv1 (``conv1_c`` filters of ``conv1_k`` x ``conv1_k``, stride 2, unpadded) and the 3x3/2 max
    pools: after conv1 and after each fire module numbered in ``pool_after`` (fire2 is the first)."""

    conv1_c: int
    conv1_k: int
    pool_after: tuple[int, ...]
    # the smallest side the unpadded conv1 and the ceil-mode pools take (a pool's last window may overhang the map),
    # and the same with conv1 at stride 1 and its pool left out (small_input; 1.1's is its total stride 8)
    min_input: int
    small_min_input: int


# Table 1, fire2..fire9 (the same in both versions)
FIRES = (
    FireSpec(16, 64, 64), FireSpec(16, 64, 64), FireSpec(32, 128, 128), FireSpec(32, 128, 128),
    FireSpec(48, 192, 192), FireSpec(48, 192, 192), FireSpec(64, 256, 256), FireSpec(64, 256, 256),
)
FIRST_FIRE = 2  # the paper numbers the fire modules fire2..fire9 (conv1 is layer 1)
VERSIONS = {
    "1_0": Version(conv1_c=96, conv1_k=7, pool_after=(4, 8), min_input=21, small_min_input=10),
    "1_1": Version(conv1_c=64, conv1_k=3, pool_after=(3, 5), min_input=17, small_min_input=8),
}
# Section 6: an identity where a fire module keeps its width, a 1x1 conv (complex only) where it widens
BYPASSES = {
    "none": {},
    "simple": {3: "identity", 5: "identity", 7: "identity", 9: "identity"},
    "complex": {2: "conv", 3: "identity", 4: "conv", 5: "identity", 6: "conv", 7: "identity", 8: "conv",
                9: "identity"},
}


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(3, 2, ceil_mode=True)


@model_builder
def squeezenet(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    version: str = "1_0",
    bypass: str = "none",
    drop_rate: float = 0.5,
    small_input: bool = False,
) -> LightNet:
    """SqueezeNet ``version`` "1_0" (Table 1) or "1_1"; ``width`` thins conv1 and every Fire
    module's convs alike; ``bypass`` "none", "simple" or "complex" (Section 6).
    ``small_input`` runs conv1 at stride 1 and leaves out the pool after it (total stride 8)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown SqueezeNet version {version!r}; valid: {', '.join(VERSIONS)}")
    if bypass not in BYPASSES:
        raise ValueError(f"unknown SqueezeNet bypass {bypass!r}; valid: {', '.join(BYPASSES)}")
    arch, shortcuts = VERSIONS[version], BYPASSES[bypass]
    strides = Downsamplings.for_input(small_input)
    width = check_width(width, (arch.conv1_c, *(c for f in FIRES for c in (f.s1x1, f.e1x1, f.e3x3))))
    body = StageStack(in_chans, stride=1)
    conv1_c, stride = scale_width(arch.conv1_c, width), strides(2)
    body.add(ConvNormAct(body.chs, conv1_c, arch.conv1_k, stride, norm=False, padding=0), conv1_c, stride)
    body.end_stage()
    if strides(2) == 2:
        body.add(_pool(), body.chs, 2)
    for number, spec in enumerate(FIRES, start=FIRST_FIRE):
        s1x1, e1x1, e3x3 = (scale_width(c, width) for c in (spec.s1x1, spec.e1x1, spec.e3x3))
        body.add(Fire(body.chs, s1x1, e1x1, e3x3, shortcut=shortcuts.get(number)), e1x1 + e3x3)
        if number in arch.pool_after:
            body.end_stage()
            body.add(_pool(), body.chs, strides(2))
    body.end_stage()
    head = ConvClassifierHead(body.chs, num_classes, act="relu", drop_rate=drop_rate)
    cfg = dict(input_size=224, crop_pct=0.875)
    return LightNet(nn.Identity(), body, head, in_chans=in_chans, init="kaiming_fan_out",
                    default_cfg=SMALL_INPUT_CFG if small_input else cfg,
                    min_input=arch.small_min_input if small_input else arch.min_input)
