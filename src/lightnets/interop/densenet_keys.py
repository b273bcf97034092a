"""torchvision's and timm's module name for every layer of a lightnets DenseNet.

Both name DenseNet's layers alike (torchvision/models/densenet.py, timm/models/densenet.py):
everything before the classifier is one ``features`` Sequential of ``conv0``/``norm0``
(stem), ``denseblockN.denselayerM`` with ``norm1``/``conv1`` (bottleneck) and
``norm2``/``conv2`` (3x3), ``transitionN`` with ``norm``/``conv``, and ``norm5``; then
``classifier``. Blocks and layers count from 1. Old torchvision checkpoints spell
``norm.1`` for ``norm1``; torchvision's own loader renames them, and so must the user
(these rules read the modern keys).

lightnets stage i holds transition i (from the second stage on) and dense block i + 1.
"""

from __future__ import annotations

from ..models import LightNet
from .structure import rename

DENSE_LAYER = {"bottleneck.bn": "norm1", "bottleneck.conv": "conv1", "conv.bn": "norm2", "conv.conv": "conv2"}
TRANSITION = {"bn": "norm", "conv": "conv"}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision / timm module name, for every layer with tensors."""
    names = {"stem.conv.conv": "features.conv0", "stem.conv.bn": "features.norm0"}
    for i, stage in enumerate(model.stages):
        if i:
            names |= rename(f"stages.{i}.0", f"features.transition{i}", TRANSITION)
        block = len(stage) - 1
        for m in range(len(stage[block].layers)):
            names |= rename(f"stages.{i}.{block}.layers.{m}", f"features.denseblock{i + 1}.denselayer{m + 1}",
                            DENSE_LAYER)
    names |= {"final_conv.bn": "features.norm5", "head.fc": "classifier"}
    return names
