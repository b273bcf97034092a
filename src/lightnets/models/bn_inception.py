"""BN-Inception / Inception v2 (Ioffe & Szegedy 2015, arXiv:1502.03167), Section 4.2 and Appendix Figure 5.

GoogLeNet with BatchNorm after every conv and three changes to its modules (Section 4.2
and the appendix): the 5x5 convs become two stacked 3x3 convs ("double #3x3"), the 28x28
and 14x14 grids end in a stride-2 module (3c, 4e) whose pool branch passes its input
through, and some pool branches average instead of taking the maximum. No dropout, no
local response normalisation, no auxiliary heads here (the paper keeps GoogLeNet's, this
network is counted and trained without them).

The figure's depth column prints 576 for 4c and 4d and 1024 for 4e, where its own branch
columns give 608, 608 and 1056 (160 + 160 + 160 + 128 = 608; 192 + 256 + 608 = 1056);
the modules are built from the branch columns, as the released Caffe model is. lightnets'
convs carry no bias before BN (the Caffe model's do). Pools round up, as in Caffe.

``small_input=True`` (for 32x32 images): the 7x7 stem conv at stride 1 and no first max
pool, total stride 8 (3c and 4e still reduce the grid).

``se=True`` is the SENet paper's SE-BN-Inception (Hu et al. 2017, arXiv:1709.01507, Fig. 2 and Table 2): every
Inception module's output (3a to 5b) passes a squeeze-and-excite layer (C // ``se_reduction`` channels, sigmoid gate).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import SENET_REDUCTION, Branch, Conv, Pool, check_width
from ..layers.squeeze_excite import se_option
from .base import LightNet
from .builder import model_builder
from .heads import ClassifierHead
from .inception_v3 import InceptionRow, input_cfg, stem_and_body


@dataclass(frozen=True)
class Inception(InceptionRow):
    """Figure 5's columns: #1x1 (0: no such branch), #3x3 reduce, #3x3, double #3x3 reduce,
    double #3x3, pool ("avg" / "max") + proj (None: the pooled input passes through), and the
    stride of the module's last convs and its pool."""

    name: str
    c1x1: int
    c3x3_reduce: int
    c3x3: int
    double_reduce: int
    double: int
    pool: str
    proj: int | None
    stride: int = 1

    def branches(self) -> tuple[Branch, ...]:
        s = self.stride
        pool = Pool(self.pool, 3, s, 1 if s == 1 else 0, ceil_mode=True)
        return (
            *((Branch((Conv(self.c1x1),)),) if self.c1x1 else ()),
            Branch((Conv(self.c3x3_reduce), Conv(self.c3x3, 3, s))),
            Branch((Conv(self.double_reduce), Conv(self.double, 3), Conv(self.double, 3, s))),
            Branch((pool, *((Conv(self.proj),) if self.proj else ()))),
        )


STEM = Conv(64, 7, 2)  # convolution 7x7/2: 112x112x64
MAX_POOL = Pool("max", 3, 2, ceil_mode=True)
STAGES = (
    (MAX_POOL, Conv(64), Conv(192, 3)),  # convolution 3x3/1, #3x3 reduce 64: 56x56x192
    (MAX_POOL, Inception("3a", 64, 64, 64, 64, 96, "avg", 32),
     Inception("3b", 64, 64, 96, 64, 96, "avg", 64)),  # 28x28x320
    (Inception("3c", 0, 128, 160, 64, 96, "max", None, stride=2), Inception("4a", 224, 64, 96, 96, 128, "avg", 128),
     Inception("4b", 192, 96, 128, 96, 128, "avg", 128), Inception("4c", 160, 128, 160, 128, 160, "avg", 128),
     Inception("4d", 96, 128, 192, 160, 192, "avg", 128)),  # 14x14x608
    (Inception("4e", 0, 128, 192, 192, 256, "max", None, stride=2),
     Inception("5a", 352, 192, 320, 160, 224, "avg", 128), Inception("5b", 352, 192, 320, 192, 224, "max", 128)),
    # 7x7x1024
)


@model_builder
def bn_inception(*, num_classes: int = 1000, in_chans: int = 3, width: float = 1.0, drop_rate: float = 0.0,
                 bn_eps: float = 1e-5, small_input: bool = False, se: bool = False,
                 se_reduction: int = SENET_REDUCTION) -> LightNet:
    """BN-Inception; ``width`` scales every conv (rounded to multiples of 8). ``small_input``:
    the stem conv at stride 1 and no first max pool (total stride 8, for 32x32); ``se``: SE-BN-Inception."""
    width = check_width(width, (STEM.c, 352, 320, 224))
    stem, body = stem_and_body(in_chans, STEM, STAGES, width, bn_eps, small_input, se_option(se, se_reduction))
    head = ClassifierHead(body.chs, num_classes, drop_rate=drop_rate)
    return LightNet(stem, body, head, in_chans=in_chans, init="kaiming_fan_out",
                    default_cfg=input_cfg(None, small_input))
