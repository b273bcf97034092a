"""torchvision's module name for every layer of a lightnets MnasNet-B1 (torchvision/models/mnasnet.py).

torchvision holds the whole body in one ``layers`` Sequential, numbered by position: the stem conv and BN
(``layers.0`` / ``.1``), the first, depthwise separable block's dw conv and BN (``.3`` / ``.4``) and linear 1x1
and BN (``.6`` / ``.7``), the six stages ``layers.8`` .. ``layers.13`` (block ``j`` a ``layers.8.j.layers``
Sequential: 1x1, BN, dw, BN, 1x1, BN at 0, 1, 3, 4, 6, 7), then the final 1x1 conv and BN (``.14`` / ``.15``);
the classifier is ``Dropout, Linear`` (``classifier.1``). ReLUs take the positions between.
"""

from __future__ import annotations

from ..models import LightNet

BLOCK = {"expand.conv": "0", "expand.bn": "1", "dw.conv": "3", "dw.bn": "4", "project.conv": "6", "project.bn": "7"}
FIRST_STAGE = 8  # layers index of the first inverted-residual stage


def module_names(model: LightNet) -> dict[str, str]:
    names = {"stem.conv": "layers.0", "stem.bn": "layers.1", "stages.0.0.dw.conv": "layers.3",
             "stages.0.0.dw.bn": "layers.4", "stages.0.0.project.conv": "layers.6",
             "stages.0.0.project.bn": "layers.7"}
    for i, stage in enumerate(model.stages[1:]):
        for j in range(len(stage)):
            names |= {f"stages.{i + 1}.{j}.{ours}": f"layers.{FIRST_STAGE + i}.{j}.layers.{theirs}"
                      for ours, theirs in BLOCK.items()}
    last = FIRST_STAGE + len(model.stages) - 1
    return names | {"final_conv.conv": f"layers.{last}", "final_conv.bn": f"layers.{last + 1}",
                    "head.fc": "classifier.1"}
