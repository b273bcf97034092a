"""torchvision's module name for every layer of a lightnets AlexNet (single tower) or VGG.

torchvision builds both as two ``nn.Sequential`` (torchvision/models/alexnet.py, vgg.py):
``features.N`` numbers every module in forward order, a conv, its BN (``vgg*_bn``), its
ReLU and each max pool taking one position each; ``classifier.N`` numbers the FC stack's
modules: ``Linear, ReLU, Dropout`` twice then ``Linear`` in VGG, ``Dropout, Linear, ReLU``
twice then ``Linear`` in AlexNet.
"""

from __future__ import annotations


from ..layers import ConvNormAct
from ..models import LightNet
from .structure import blocks

CONV_BN = ("conv", "bn")


def _features(model: LightNet) -> dict[str, str]:
    names, position = {}, 0
    for path, block in blocks(model):
        if isinstance(block, ConvNormAct):
            for offset, (name, _) in enumerate(block.named_children()):
                if name in CONV_BN:
                    names[f"{path}.{name}"] = f"features.{position + offset}"
            position += len(block)
        else:  # a max pool
            position += 1
    return names


def _classifier(model: LightNet, first: int) -> dict[str, str]:
    names = {f"head.hidden.{i}.fc": f"classifier.{first + 3 * i}" for i in range(len(model.head.hidden))}
    return names | {"head.fc": f"classifier.{3 * len(model.head.hidden)}"}


def vgg_module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer of a VGG with tensors."""
    return _features(model) | _classifier(model, first=0)


def alexnet_module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer of an AlexNet with tensors."""
    return _features(model) | _classifier(model, first=1)
