"""BatchNorm and an activation with no convolution after them.

Pre-activation networks end on a BN-ReLU of their last feature map before pooling, since
every unit's BN-ReLU sits in front of its own convolution: DenseNet's final BN-ReLU
(Huang et al. 2017, arXiv:1608.06993, Table 1; torchvision's ``norm5`` and ReLU) and DPN's
``conv5_bn_ac`` (Chen et al. 2017, arXiv:1707.01629).
"""

from __future__ import annotations

from torch import nn

from .activations import make_activation
from .conv_norm_act import check_bn_eps


class NormAct(nn.Sequential):
    """BatchNorm over ``chs`` channels, then ``act`` (``None`` = linear); submodules ``bn``, ``act``."""

    def __init__(self, chs: int, act: str | None = "relu", bn_eps: float = 1e-5):
        check_bn_eps(bn_eps)
        super().__init__()
        self.bn = nn.BatchNorm2d(chs, eps=bn_eps)
        self.act = make_activation(act)
