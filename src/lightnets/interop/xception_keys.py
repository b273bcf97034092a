"""timm's module name for every layer of a lightnets Xception (timm/models/xception.py, ``legacy_xception``).

``conv1``/``bn1`` and ``conv2``/``bn2`` the stem, ``block1`` ... ``block12`` the residual modules in order, each with
``rep`` (a ReLU, a separable conv and its BN per separable conv, numbered by position; the first module has no leading
ReLU), ``skip``/``skipbn`` the projection shortcut; ``conv3``/``bn3`` and ``conv4``/``bn4`` the exit flow's last two
separable convs (each ``conv1`` the depthwise conv, ``pointwise`` the 1x1), ``fc`` the classifier.
"""

from __future__ import annotations

from ..layers import XceptionModule
from ..models import LightNet
from .structure import blocks


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> timm module name, for every layer with tensors."""
    names = {"stem.conv1.conv": "conv1", "stem.conv1.bn": "bn1", "stem.conv2.conv": "conv2", "stem.conv2.bn": "bn2",
             "head.fc": "fc"}
    modules = [(path, block) for path, block in blocks(model) if isinstance(block, XceptionModule)]
    for n, (path, module) in enumerate(modules, start=1):
        layers = [name for name, _ in module.body.named_children()]
        first = 0 if "act0" in layers else -1  # rep loses its leading ReLU
        for k, name in enumerate(n for n in layers if n.startswith("sep")):
            idx = 3 * k + 1 + first
            names |= {f"{path}.body.{name}.dw.conv": f"block{n}.rep.{idx}.conv1",
                      f"{path}.body.{name}.pw.conv": f"block{n}.rep.{idx}.pointwise",
                      f"{path}.body.{name}.pw.bn": f"block{n}.rep.{idx + 1}"}
        if module.shortcut is not None:
            names |= {f"{path}.shortcut.conv": f"block{n}.skip", f"{path}.shortcut.bn": f"block{n}.skipbn"}
    exits = [path for path, block in blocks(model) if not isinstance(block, XceptionModule)]
    for n, path in enumerate(exits, start=3):
        names |= {f"{path}.dw.conv": f"conv{n}.conv1", f"{path}.pw.conv": f"conv{n}.pointwise",
                  f"{path}.pw.bn": f"bn{n}"}
    return names
