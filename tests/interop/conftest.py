"""Reference torchvision / timm models with random weights and randomised BatchNorm (tests/randomised_bn.py)."""

import pytest
import timm
import torchvision
from randomised_bn import randomise_bn
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
    return randomise_bn(model, CALIBRATION_SIZE.get((source, arch), 96), kwargs.get("in_chans", 3))


@pytest.fixture
def reference():
    return build_reference
