"""Network in Network (Lin, Chen and Yan 2013, arXiv:1312.4400), the CIFAR-10 model.

Three mlpconv layers (Section 3.1, :class:`~lightnets.layers.MlpConv`), a 3x3 pool with
stride 2 and dropout 0.5 after the first two, and global average pooling over the last
layer's class maps instead of fully connected layers (Section 3.2): the last 1x1 conv has
one map per class. The paper defers the layer sizes to its released models; the table is
the authors' CIFAR-10 model (Min Lin's Caffe definition, gist e56253735ef32c3c296d, and
his cuda-convnet ``NIN`` layers): 5x5 convs in the first two mlpconv layers, 3x3 in the
third, max pooling after the first and average pooling after the second, pools in Caffe's
ceil mode (32 -> 16 -> 8).

The last mlpconv's class-map conv is the head's classifier
(:class:`~lightnets.models.heads.ConvClassifierHead`: 1x1 conv, ReLU, global average
pool), so ``reset_classifier`` replaces it and ``pre_logits`` is the pooled 192-wide map
before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..layers import MlpConv, check_width, scale_width
from .base import LightNet
from .builder import StageStack, model_builder
from .heads import ConvClassifierHead


@dataclass(frozen=True)
class Layer:
    """One mlpconv layer: its k x k conv, the widths of that conv and the 1x1 convs after it,
    and the 3x3/2 pool after the layer (None: the last layer, which global pooling follows)."""

    k: int
    widths: tuple[int, ...]
    pool: str | None


# The third layer's last 1x1 conv (10 class maps for CIFAR-10) is the classifier: num_classes.
LAYERS = (
    Layer(k=5, widths=(192, 160, 96), pool="max"),
    Layer(k=5, widths=(192, 192, 192), pool="avg"),
    Layer(k=3, widths=(192, 192), pool=None),
)
POOLS = {"max": lambda: nn.MaxPool2d(3, 2, ceil_mode=True), "avg": lambda: nn.AvgPool2d(3, 2, ceil_mode=True)}
CIFAR = dict(input_size=32, mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616), crop_pct=1.0)


@model_builder
def nin(*, num_classes: int = 10, in_chans: int = 3, width: float = 1.0, drop_rate: float = 0.5) -> LightNet:
    """NIN; ``width`` thins every conv but the class maps."""
    width = check_width(width, tuple(c for layer in LAYERS for c in layer.widths))
    body = StageStack(in_chans, stride=1)
    for layer in LAYERS:
        widths = tuple(scale_width(c, width) for c in layer.widths)
        body.add(MlpConv(body.chs, widths, layer.k), widths[-1])
        if layer.pool is not None:
            body.add(POOLS[layer.pool](), widths[-1], 2)
            body.add(nn.Dropout(drop_rate), widths[-1])
        body.end_stage()
    head = ConvClassifierHead(body.chs, num_classes, act="relu", drop_rate=0.0)
    # ceil-mode pools take any map of 2 rows or more: the total stride 4 is the smallest input
    return LightNet(nn.Identity(), body, head, in_chans=in_chans, init="kaiming_fan_out", default_cfg=CIFAR)
