"""The stem of ResNet, DenseNet and DPN: a stride-2 conv-BN-ReLU, then a 3x3 stride-2 max pool.

He et al. 2015 (arXiv:1512.03385) Table 1's conv1 (7x7, 64, stride 2) and conv2_x's
"3x3 max pool, stride 2"; DenseNet (arXiv:1608.06993, Table 1) and DPN keep it (DPN-68 with
a 3x3 conv). Total stride 4. The small-input form is the CIFAR stem of the same papers
(ResNet section 4.2, DenseNet section 3): one 3x3 conv at stride 1 and no pool, total stride 1.

``ceil_pool`` is Caffe's form of the pool, as the SENet models were released: no padding, the output size rounded
up (112 -> 56 as well, but the windows start at the map's edge instead of one pixel outside it).
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .conv_norm_act import ConvNormAct


def pooled_stem(in_chans: int, out_chs: int, kernel_size: int, bn_eps: float, small_input: bool = False,
                ceil_pool: bool = False) -> nn.Sequential:
    """Submodules ``conv`` (a ConvNormAct) and ``pool`` (padding 1, or with ``ceil_pool`` none and the size rounded
    up); ``small_input``: ``conv`` only, 3x3 at stride 1."""
    if small_input:
        return nn.Sequential(OrderedDict(conv=ConvNormAct(in_chans, out_chs, 3, stride=1, bn_eps=bn_eps)))
    return nn.Sequential(OrderedDict(
        conv=ConvNormAct(in_chans, out_chs, kernel_size, stride=2, bn_eps=bn_eps),
        pool=nn.MaxPool2d(3, stride=2, padding=0 if ceil_pool else 1, ceil_mode=ceil_pool),
    ))


def pooled_stem_stride(small_input: bool) -> int:
    """The total stride of :func:`pooled_stem`."""
    return 1 if small_input else 4
