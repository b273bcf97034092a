"""Xception (Chollet 2016, arXiv:1610.02357), Fig. 5: the entry, middle and exit flows.

The stem is two unpadded 3x3 convs (32 at stride 2, then 64; BN, ReLU). The entry flow is three modules of two
separable convs that end in a 3x3 max pool of stride 2 (128, 256, 728), the middle flow eight modules of three 728-wide
separable convs, and the exit flow one module of separable convs 728 and 1024 with a max pool, then separable convs
1536 and 2048 (BN, ReLU), global average pooling and the classifier (the paper's optional FC layers are left out, as
its ImageNet model and the Keras release leave them). Each module (:mod:`..layers.xception_module`) is residual; every
conv and separable conv is followed by BN.

The stages are the resolutions: the entry flow's first two modules each end one (strides 4 and 8), the third module
and the middle flow share stride 16, the exit flow is stride 32. ``width`` scales every conv by the lightnets width
policy. ``small_input`` keeps the stem's and the first module's strides at 1 (total stride 8, for 32x32).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from ..layers import ConvNormAct, DepthwiseSeparableConv, XceptionModule, check_width, scale_width
from .base import LightNet
from .builder import Downsamplings, StageStack, check_small_input, model_builder
from .heads import ClassifierHead
from .inception_v3 import input_cfg


@dataclass(frozen=True)
class Module:
    """One residual module of Fig. 5: its separable convs' widths, in order, and its stride (2: it ends in the 3x3
    max pool of stride 2 and its shortcut is a 1x1 conv of stride 2)."""

    widths: tuple[int, ...]
    s: int


@dataclass(frozen=True)
class Flow:
    name: str
    modules: tuple[Module, ...]
    ends_stages: tuple[bool, ...]  # for each module: whether a stage (a resolution) ends after it


STEM = (32, 64)  # two unpadded 3x3 convs, the first of stride 2: 299 -> 149 -> 147
FLOWS = (
    Flow("entry", (Module((128, 128), 2), Module((256, 256), 2), Module((728, 728), 2)), (True, True, False)),
    Flow("middle", (Module((728, 728, 728), 1),) * 8, (False,) * 7 + (True,)),
    Flow("exit", (Module((728, 1024), 2),), (False,)),
)
EXIT_CONVS = (1536, 2048)  # the exit flow's separable convs after its module, each with BN and ReLU
CFG = {"input_size": 299, "mean": (0.5,) * 3, "std": (0.5,) * 3, "interpolation": "bicubic", "crop_pct": 0.8975}


@model_builder
def xception(
    *,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    drop_rate: float = 0.0,
    bn_eps: float = 1e-5,
    small_input: bool = False,
) -> LightNet:
    """Xception as Fig. 5 (the Keras release's layout: 22,855,952 trainable parameters)."""
    width = check_width(width, (*STEM, *EXIT_CONVS))
    strides = Downsamplings.for_input(check_small_input(small_input))
    c1, c2 = (scale_width(c, width) for c in STEM)
    s = strides(2)
    stem = nn.Sequential(OrderedDict(
        conv1=ConvNormAct(in_chans, c1, 3, s, padding=0, bn_eps=bn_eps),
        conv2=ConvNormAct(c1, c2, 3, padding=0, bn_eps=bn_eps),
    ))
    body = StageStack(c2, stride=s)
    first = True
    for flow in FLOWS:
        for module, ends_stage in zip(flow.modules, flow.ends_stages):
            widths = tuple(scale_width(c, width) for c in module.widths)
            stride = strides(module.s)
            body.add(XceptionModule(body.chs, widths, stride, start_with_relu=not first, bn_eps=bn_eps),
                     widths[-1], stride)
            first = False
            if ends_stage:
                body.end_stage()
    for c in EXIT_CONVS:
        out = scale_width(c, width)
        body.add(DepthwiseSeparableConv(body.chs, out, bn_eps=bn_eps, dw_norm_act=False), out)
    body.end_stage()
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out",
                    default_cfg=input_cfg(CFG, small_input))
