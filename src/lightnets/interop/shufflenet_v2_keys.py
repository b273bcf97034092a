"""torchvision's module name for every layer of a lightnets ShuffleNet V2 (torchvision/models/shufflenetv2.py).

``conv1.0`` / ``conv1.1`` the stem's conv and BN, ``stage{i+2}.{j}`` the j-th unit of stage i, inside it
``branch1`` (the stride-2 left branch: depthwise conv, BN, 1x1 conv, BN, ReLU) and ``branch2`` (1x1 conv, BN, ReLU,
depthwise conv, BN, 1x1 conv, BN, ReLU), numbered by position; ``conv5`` the last 1x1 conv, ``fc`` the classifier.
"""

from __future__ import annotations

from ..models import LightNet
from .structure import rename

LEFT = {"dw": ("0", "1"), "pw": ("2", "3")}
RIGHT = {"pw1": ("0", "1"), "dw": ("3", "4"), "pw2": ("5", "6")}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer with tensors."""
    names = rename("stem.conv", "conv1", {"conv": "0", "bn": "1"}) | rename("final_conv", "conv5", {"conv": "0",
                                                                                                     "bn": "1"})
    names["head.fc"] = "fc"
    for i, stage in enumerate(model.stages):
        for j, unit in enumerate(stage):
            path, prefix = f"stages.{i}.{j}", f"stage{i + 2}.{j}"
            for side, branch, layers in (("left", "branch1", LEFT), ("right", "branch2", RIGHT)):
                if getattr(unit, side) is None:
                    continue
                for part, (conv, bn) in layers.items():
                    names |= rename(f"{path}.{side}.{part}", f"{prefix}.{branch}", {"conv": conv, "bn": bn})
    return names
