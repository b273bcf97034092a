"""torchvision's module name for every layer of a lightnets SqueezeNet (bypass "none").

torchvision (torchvision/models/squeezenet.py) builds ``features`` as one ``nn.Sequential``
numbering conv1, its ReLU, each max pool and each Fire module one position each, a Fire's
convs named ``squeeze``, ``expand1x1`` and ``expand3x3`` as ours are; ``classifier`` is
``Dropout, Conv2d, ReLU, AdaptiveAvgPool2d``: conv10 is ``classifier.1``.
"""

from __future__ import annotations

from ..layers import ConvNormAct, Fire
from ..models import LightNet
from .structure import blocks

FIRE_CONVS = ("squeeze", "expand1x1", "expand3x3")


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer of a SqueezeNet with tensors."""
    names, position = {"head.fc": "classifier.1"}, 0
    for path, block in blocks(model):
        if isinstance(block, ConvNormAct):  # conv1, then its ReLU
            names[f"{path}.conv"] = f"features.{position}"
            position += 2
            continue
        if isinstance(block, Fire):
            names |= {f"{path}.{conv}.conv": f"features.{position}.{conv}" for conv in FIRE_CONVS}
        position += 1  # a Fire module or a max pool
    return names
