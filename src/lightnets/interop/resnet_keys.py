"""torchvision's and timm's module name for every layer of a lightnets ResNet.

timm keeps torchvision's names (torchvision/models/resnet.py, timm/models/resnet.py), so one rule serves both:
``conv1`` / ``bn1`` the stem, ``layer{i+1}.{j}`` the j-th block of stage i, ``conv1`` .. ``conv3`` with ``bn1`` ..
``bn3`` inside a block, ``downsample.0`` / ``downsample.1`` the projection shortcut's conv and BN, ``fc`` the
classifier.
"""

from __future__ import annotations

from ..models import LightNet
from .structure import rename

CONVS = ("conv1", "conv2", "conv3")  # a basic block has the first two
SHORTCUT = {"conv": "0", "bn": "1"}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision / timm module name, for every layer with tensors."""
    names = {"stem.conv.conv": "conv1", "stem.conv.bn": "bn1", "head.fc": "fc"}
    for i, stage in enumerate(model.stages):
        for j, block in enumerate(stage):
            path, prefix = f"stages.{i}.{j}", f"layer{i + 1}.{j}"
            for k, conv in enumerate(CONVS, start=1):
                if hasattr(block, conv):
                    names |= rename(f"{path}.{conv}", prefix, {"conv": conv, "bn": f"bn{k}"})
            if block.shortcut is not None:
                names |= rename(f"{path}.shortcut", f"{prefix}.downsample", SHORTCUT)
    return names
