"""Classification heads: the few shared pieces every family's classifier is made of.

- :class:`ClassifierHead`: global average pool -> [hidden FC] -> dropout -> FC (MobileNets,
  ResNet, ShuffleNet, EfficientNet, ...).
- :class:`FCStackHead`: flatten a fixed-size map, (FC -> act -> dropout) repeated, FC
  (LeNet-5, AlexNet, VGG).
- :class:`ConvClassifierHead`: dropout -> 1x1 conv -> act -> global average pool (SqueezeNet,
  NIN: the classifier is a convolution, there is no FC layer).
- :class:`GDCHead`: global depthwise convolution -> linear FC -> BN embedding -> FC
  (MobileFaceNet: a learned weighting of the final map's positions instead of pooling).
- :class:`AuxHead`: an auxiliary classifier on an intermediate stage (GoogLeNet, Inception v3).

Every head shares one contract: ``forward(x, pre_logits=False)`` maps the final feature
map to logits, or with ``pre_logits=True`` to the ``num_features``-wide vector the
classifier takes; ``fc`` is the classifier layer; ``reset(num_classes)`` replaces it;
``num_classes=0`` has no classifier and outputs the features.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..layers import ConvNormAct, make_activation
from .tracing import is_tracing


class Head(nn.Module):
    """The head contract. A subclass sets ``num_features`` and calls ``reset`` last in its
    ``__init__`` (so that ``fc`` is its last submodule, as it executes)."""

    num_features: int
    num_classes: int
    bias: bool = True  # the classifier's bias (ShuffleNet V1's authors' code has none)

    def make_classifier(self, num_classes: int) -> nn.Module:
        return nn.Linear(self.num_features, num_classes, bias=self.bias)

    def reset(self, num_classes: int) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
            raise ValueError(f"num_classes must be an integer >= 0, got {num_classes!r}")
        self.num_classes = num_classes
        self.fc = self.make_classifier(num_classes) if num_classes else nn.Identity()


class ClassifierHead(Head):
    """Global average pool -> [Linear(hidden) -> act] -> dropout -> Linear(num_classes).

    The hidden layer is MobileNetV3's last "conv2d 1x1, NBN" (a 1x1 conv on a 1x1 map is
    a fully connected layer).
    """

    def __init__(
        self,
        in_chs: int,
        num_classes: int,
        hidden: int | None = None,
        act: str | None = None,
        drop_rate: float = 0.0,
        bias: bool = True,
    ):
        super().__init__()
        self.bias = bias
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.hidden = nn.Linear(in_chs, hidden) if hidden else None
        self.act = make_activation(act) if hidden else None
        self.num_features = hidden or in_chs
        self.drop = nn.Dropout(drop_rate)
        self.reset(num_classes)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.pool(x).flatten(1)
        if self.hidden is not None:
            x = self.act(self.hidden(x))
        if pre_logits:
            return x
        return self.fc(self.drop(x))


class FCActDrop(nn.Sequential):
    """One hidden fully connected layer of an FC stack: Linear -> act -> dropout."""

    def __init__(self, in_features: int, out_features: int, act: str | None, drop_rate: float):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.act = make_activation(act)
        self.drop = nn.Dropout(drop_rate)


class FCStackHead(Head):
    """Average-pool to a fixed ``map_size`` x ``map_size`` map, flatten, ``hidden`` layers of
    Linear -> act -> dropout, then Linear(num_classes).

    AlexNet's FC6-FC8 and VGG's three FC layers (``hidden=(4096, 4096)``, dropout 0.5 on
    each hidden layer, as both papers put it), LeNet-5's C5-F6-output (``hidden=(120, 84)``,
    tanh, no dropout). The pool is adaptive, as torchvision's AlexNet and VGG have it, so it
    is a no-op at the input size the network was designed for and keeps the flattened
    width ``in_chs * map_size**2`` at any other.
    """

    def __init__(
        self,
        in_chs: int,
        num_classes: int,
        map_size: int,
        hidden: Sequence[int] = (4096, 4096),
        act: str | None = "relu",
        drop_rate: float = 0.5,
    ):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(map_size)
        widths = (in_chs * map_size * map_size, *hidden)
        self.hidden = nn.Sequential(*(FCActDrop(i, o, act, drop_rate) for i, o in zip(widths, widths[1:])))
        self.num_features = widths[-1]
        self.reset(num_classes)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.hidden(self.pool(x).flatten(1))
        return x if pre_logits else self.fc(x)


class ConvClassifierHead(Head):
    """Dropout -> 1x1 conv (num_classes, with bias) -> act -> global average pool.

    SqueezeNet's conv10 (Iandola et al. 2016, arXiv:1602.07360, Table 1 and Section 3.3)
    and Network in Network's global average pooling over class maps: the classifier is a
    convolution, so ``fc`` is a Conv2d. ``pre_logits`` gives the globally pooled input map
    (``num_features = in_chs``), which is also the output for ``num_classes=0``.
    """

    def __init__(self, in_chs: int, num_classes: int, act: str | None = "relu", drop_rate: float = 0.5):
        super().__init__()
        self.num_features = in_chs
        self.drop = nn.Dropout(drop_rate)
        self.act = make_activation(act)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reset(num_classes)

    def make_classifier(self, num_classes: int) -> nn.Module:
        return nn.Conv2d(self.num_features, num_classes, 1)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if pre_logits:
            return self.pool(x).flatten(1)
        x = self.drop(x)
        if self.num_classes:
            x = self.act(self.fc(x))
        return self.pool(x).flatten(1)


class GDCHead(Head):
    """Global depthwise convolution -> Linear(embed_dim, no bias) -> BN -> dropout -> Linear.

    MobileFaceNet (Chen et al. 2018, arXiv:1804.07573, Section 3.2 and Table 1: "linear
    GDConv7x7", "linear conv1x1", then BN): a depthwise conv whose kernel covers the whole
    ``map_size`` x ``map_size`` final map weights each position per channel, where global
    average pooling would weight them all alike (a face's centre matters more than its
    corners). The BN'd ``embed_dim`` vector is the embedding (``pre_logits``); the FC on top
    is the training classifier, ``num_classes=0`` leaves the embedding.
    """

    def __init__(
        self,
        in_chs: int,
        num_classes: int,
        map_size: int,
        embed_dim: int = 128,
        drop_rate: float = 0.0,
        bn_eps: float = 1e-5,
    ):
        super().__init__()
        self.map_size = map_size
        self.gdc = ConvNormAct(in_chs, in_chs, map_size, groups=in_chs, act=None, bn_eps=bn_eps, padding=0)
        self.embed = nn.Linear(in_chs, embed_dim, bias=False)
        self.bn = nn.BatchNorm1d(embed_dim, eps=bn_eps)
        self.num_features = embed_dim
        self.drop = nn.Dropout(drop_rate)
        self.reset(num_classes)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if not is_tracing() and tuple(x.shape[-2:]) != (self.map_size, self.map_size):
            raise ValueError(
                f"the GDC head's depthwise kernel covers the {self.map_size}x{self.map_size} final map the network "
                f"was built for, got a {x.shape[-2]}x{x.shape[-1]} map; feed inputs of the size in "
                "model.default_cfg['input_size']"
            )
        x = self.bn(self.embed(self.gdc(x).flatten(1)))
        return x if pre_logits else self.fc(self.drop(x))


class AuxHead(Head):
    """An auxiliary classifier on an intermediate stage: average pool -> convs -> a head.

    GoogLeNet (Szegedy et al. 2014, arXiv:1409.4842, Section 5): 5x5 average pool, stride 3,
    a 1x1 conv to 128, FC 1024 with dropout 0.7, FC; Inception v3 (arXiv:1512.00567,
    Section 4 and Fig. 8): the same pool, 1x1 conv to 128, a 5x5 conv to 768, pool, FC.
    The ``classifier`` is one of the heads above; ``fc``, ``num_features`` and ``reset``
    are its own. ``pool_size`` replaces the fixed pool by an adaptive average pool to
    ``pool_size`` x ``pool_size`` (torchvision's GoogLeNet: 4x4 at any input, where the
    paper's 5x5 / 3 pool gives 4x4 at 224 only and from other windows).
    """

    def __init__(self, classifier: Head, convs: Sequence[nn.Module] = (), pool_kernel: int = 5,
                 pool_stride: int = 3, pool_size: int | None = None):
        super().__init__()
        self.pool = nn.AvgPool2d(pool_kernel, pool_stride) if pool_size is None else nn.AdaptiveAvgPool2d(pool_size)
        self.convs = nn.Sequential(*convs)
        self.classifier = classifier
        self.min_map = self._min_map(pool_kernel, pool_stride, pool_size)

    def _min_map(self, pool_kernel: int, pool_stride: int, pool_size: int | None) -> int:
        """The smallest input map side the pool and convs leave a map for (Inception v3's
        5x5 / 3 pool and unpadded 5x5 conv: 17, its Mixed_6e side at 299x299)."""
        side = 1
        for conv in reversed([m for m in self.convs.modules() if isinstance(m, nn.Conv2d)]):
            side = max(1, (side - 1) * conv.stride[0] + conv.kernel_size[0] - 2 * conv.padding[0])
        return side if pool_size is not None else (side - 1) * pool_stride + pool_kernel

    @property
    def num_features(self) -> int:
        return self.classifier.num_features

    @property
    def num_classes(self) -> int:
        return self.classifier.num_classes

    @property
    def fc(self) -> nn.Module:
        return self.classifier.fc

    def reset(self, num_classes: int) -> None:
        self.classifier.reset(num_classes)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if not is_tracing() and min(x.shape[-2:]) < self.min_map:
            raise ValueError(
                f"the auxiliary head needs its stage's map to be at least {self.min_map}x{self.min_map}, got "
                f"{x.shape[-2]}x{x.shape[-1]}; train with larger inputs (the size in model.default_cfg['input_size']) "
                "or build the model without aux heads (aux_logits=False)"
            )
        return self.classifier(self.convs(self.pool(x)), pre_logits=pre_logits)
