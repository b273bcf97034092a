"""Random BatchNorm for parity tests: every BN gets random affine parameters, then running statistics measured on
random images (train mode, cumulative average), so each channel has its own mean and variance while activations stay
near unit scale. A misrouted BN tensor, a wrong eps, a wrong activation or a wrong tap then moves the outputs far
beyond a parity tolerance."""

import torch
from torch import nn


def randomise_bn(model: nn.Module, size: int = 96, in_chans: int = 3) -> nn.Module:
    """``model`` with randomised BatchNorm (measured on 4 random ``size`` x ``size`` images), in eval mode."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.5, 0.5)
            module.momentum = None
            module.reset_running_stats()
    model.train()
    with torch.no_grad():
        model(torch.randn(4, in_chans, size, size))
    return model.eval()
