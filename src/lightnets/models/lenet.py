"""LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11), Section II.B and Fig. 2).

32x32 grey input; C1: 6 maps of 5x5 convolutions (28x28); S2: 2x2 trainable subsampling
(14x14); C3: 16 maps of 5x5 convolutions over the S2 maps that Table I connects (10x10);
S4: subsampling (5x5); C5: 120 units, each a 5x5 convolution over all of S4, which on the
5x5 map is a fully connected layer; F6: 84 units; the output layer. Every unit passes its
weighted sum through the squashing function (the paper's scaled tanh, A tanh(S a); here
plain tanh). The paper's output layer is 10 Euclidean radial basis function units with
fixed parameters (no trainable parameters); lightnets has a trainable linear classifier
there instead (850 parameters), as is usual with a cross-entropy loss: the paper's
"60,000 trainable free parameters" are every other layer's.

C5 and F6 are the FC stack of the head (C5 as a linear layer over S4's flattened 5x5 maps,
the same weights as the paper's 5x5 convolutions); a larger input is average-pooled to
those 5x5 maps first, where the paper's convolutional C5 would give a larger map.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..layers import ConnectionTableConv, ConvNormAct, Subsampling
from .base import LightNet
from .builder import StageStack, model_builder
from .heads import FCStackHead


@dataclass(frozen=True)
class Layer:
    """A convolution C and the subsampling S after it: c maps of k x k, subsampled by s."""

    c: int
    k: int
    s: int


C1_S2 = Layer(c=6, k=5, s=2)
C3_S4 = Layer(c=16, k=5, s=2)
C5, F6 = 120, 84
MAP_SIZE = 5  # S4's maps at the 32x32 input, the extent of C5's kernels

# Table I: the S2 maps (0-5) each C3 map (0-15) takes as input.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

SUBSAMPLINGS = ("trainable", "avg")
MNIST = dict(input_size=32, mean=(0.1307,), std=(0.3081,), crop_pct=1.0)


def subsample(chs: int, kind: str, s: int) -> nn.Module:
    """The paper's trainable subsampling (coefficient and bias per map, then tanh), or a plain
    average pool, as most LeNet-5 reimplementations have it."""
    return Subsampling(chs, s, act="tanh") if kind == "trainable" else nn.AvgPool2d(s)


@model_builder
def lenet5(
    *,
    num_classes: int = 10,
    in_chans: int = 1,
    width: float = 1.0,
    connection_table: bool = True,
    subsampling: str = "trainable",
) -> LightNet:
    """LeNet-5. ``connection_table=False`` connects every C3 map to all six S2 maps (2,416
    parameters instead of 1,516); ``subsampling="avg"`` makes S2 and S4 parameter-free
    average pools. The maps are the paper's table: ``width`` must be 1.0."""
    if width != 1.0:
        raise ValueError(f"lenet5 has the paper's fixed maps (Table I connects 6 S2 maps to 16 C3 maps), so width "
                         f"must be 1.0, got {width!r}")
    if subsampling not in SUBSAMPLINGS:
        raise ValueError(f"subsampling must be one of {', '.join(SUBSAMPLINGS)}, got {subsampling!r}")
    body = StageStack(in_chans, stride=1)
    body.add(ConvNormAct(in_chans, C1_S2.c, C1_S2.k, norm=False, padding=0, act="tanh"), C1_S2.c)
    body.add(subsample(C1_S2.c, subsampling, C1_S2.s), C1_S2.c, C1_S2.s)
    body.end_stage()
    if connection_table:
        c3 = ConnectionTableConv(body.chs, C3_TABLE, C3_S4.k, act="tanh")
    else:
        c3 = ConvNormAct(body.chs, C3_S4.c, C3_S4.k, norm=False, padding=0, act="tanh")
    body.add(c3, C3_S4.c)
    body.add(subsample(C3_S4.c, subsampling, C3_S4.s), C3_S4.c, C3_S4.s)
    body.end_stage()
    head = FCStackHead(body.chs, num_classes, map_size=MAP_SIZE, hidden=(C5, F6), act="tanh", drop_rate=0.0)
    # 32 -> C1 28 -> S2 14 -> C3 10 -> S4 5, the 5x5 map C5's kernels cover
    return LightNet(nn.Identity(), body, head, in_chans=in_chans, init="pytorch", default_cfg=MNIST, min_input=32)
