"""torchvision's module name for every layer of a lightnets EfficientNet (torchvision/models/efficientnet.py).

``features.0`` is the stem, ``features.i`` (1-7) the stages, ``features.8`` the final 1x1 conv, each
Conv-BN-activation unit ``.0`` / ``.1``. A block ``features.i.j`` numbers its sub-layers ``block.0, block.1, ...``
over [expand], dw, SE (``fc1`` / ``fc2``), project, as torchvision's MobileNetV3 does; the classifier is
``Dropout, Linear`` (``classifier.1``).
"""

from __future__ import annotations

from ..models import LightNet
from .structure import parts, rename
from .torchvision_keys import CONV_BN, SQUEEZE_EXCITE


def module_names(model: LightNet) -> dict[str, str]:
    names = rename("stem", "features.0", CONV_BN)
    for i, stage in enumerate(model.stages):
        for j, block in enumerate(stage):
            for k, part in enumerate(parts(block)):
                names |= rename(f"stages.{i}.{j}.{part}", f"features.{i + 1}.{j}.block.{k}",
                                SQUEEZE_EXCITE if part == "se" else CONV_BN)
    names |= rename("final_conv", f"features.{len(model.stages) + 1}", CONV_BN)
    return names | {"head.fc": "classifier.1"}
