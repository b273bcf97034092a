"""Fold every BatchNorm into the convolution before it, for inference.

In eval mode BatchNorm is a fixed per-channel affine map, so ``conv -> BN`` equals one
conv with rescaled weights and a bias. Folding removes the BN layers' memory traffic
(the seeds' "BN folded into the conv at inference") and leaves MACs unchanged. Uses
torch's own ``fuse_conv_bn_eval``.
"""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..layers import ConvNormAct


def fold_bn(model: nn.Module) -> nn.Module:
    """A folded copy of ``model`` in eval mode; ``model`` itself is not modified."""
    folded = copy.deepcopy(model).eval()
    for module in folded.modules():
        if isinstance(module, ConvNormAct) and isinstance(module.bn, nn.BatchNorm2d):
            module.conv = fuse_conv_bn_eval(module.conv, module.bn)
            module.bn = nn.Identity()
    left = [name for name, m in folded.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if left:
        raise ValueError(f"BatchNorm layers not preceded by a lightnets conv cannot be folded: {', '.join(left[:5])}")
    return folded
