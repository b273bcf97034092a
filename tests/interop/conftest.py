"""Reference torchvision / timm models with random weights and randomised BatchNorm.

Every BatchNorm gets random affine parameters, then running statistics measured on random
images (train mode, cumulative average), so each channel has its own mean and variance
while activations stay near unit scale. A misrouted BN tensor, a wrong eps or a wrong
activation then moves the logits far beyond the parity tolerance.
"""

import pytest
import timm
import torch
import torchvision
from torch import nn


# torchvision archs that warn unless told their init; the input side at which an arch's
# training-mode forward (aux heads included) runs, where 96 is too small
REFERENCE_OPTIONS = {("torchvision", "googlenet"): {"init_weights": True},
                     ("torchvision", "inception_v3"): {"init_weights": True}}
CALIBRATION_SIZE = {("torchvision", "inception_v3"): 299}  # its aux head needs Mixed_6e at 17x17


def build_reference(source: str, arch: str, **kwargs) -> nn.Module:
    """``torchvision.models.<arch>`` or ``timm.create_model(arch)`` with random weights, in eval mode."""
    if source == "torchvision":
        model = getattr(torchvision.models, arch)(weights=None, **{**REFERENCE_OPTIONS.get((source, arch), {}),
                                                                     **kwargs})
    else:
        model = timm.create_model(arch, pretrained=False, **kwargs)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.5, 0.5)
            module.momentum = None
            module.reset_running_stats()
    model.train()
    with torch.no_grad():
        size = CALIBRATION_SIZE.get((source, arch), 96)
        model(torch.randn(4, kwargs.get("in_chans", 3), size, size))
    return model.eval()


@pytest.fixture
def reference():
    return build_reference
