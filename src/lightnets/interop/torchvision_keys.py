"""torchvision's module name for every layer of a lightnets MobileNetV2 / V3.

torchvision numbers its layers by position (torchvision/models/mobilenetv2.py, mobilenetv3.py):

- ``features.0`` is the stem, ``features.1`` .. ``features.B`` the B blocks in forward
  order, ``features.B+1`` the final 1x1 conv; a Conv-BN-activation unit is ``.0`` (conv)
  and ``.1`` (BN).
- V3 blocks number their sub-layers ``block.0, block.1, ...`` over [expand], dw, [SE],
  project; SE keeps its own names ``fc1`` / ``fc2``.
- V2 blocks number theirs ``conv.0, conv.1, ...`` over [expand], dw (Conv-BN-ReLU6
  units), then the linear projection as two entries: ``conv.k`` (conv) and ``conv.k+1`` (BN).
- The classifier is ``Dropout, Linear`` in V2 (``classifier.1``) and ``Linear, Hardswish,
  Dropout, Linear`` in V3 (``classifier.0`` = lightnets ``head.hidden``, ``classifier.3``).
"""

from __future__ import annotations

from ..models import FeatureNet, LightNet
from .structure import blocks, parts, rename

CONV_BN = {"conv": "0", "bn": "1"}
SQUEEZE_EXCITE = {"fc1": "fc1", "fc2": "fc2"}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision module name, for every layer with tensors."""
    is_v3 = model.head.hidden is not None
    names = feature_names(model, is_v3)
    names |= {"head.hidden": "classifier.0", "head.fc": "classifier.3"} if is_v3 else {"head.fc": "classifier.1"}
    return names


def feature_names(model: LightNet | FeatureNet, is_v3: bool) -> dict[str, str]:
    """The names of torchvision's ``features`` for the stem, the blocks and (as ``final_conv``) the final 1x1 conv
    of ``model``, a classifier or the backbone of a dense-task model (``features.N``, which torchvision's
    segmentation models keep as ``backbone.N``)."""
    block_names = _v3_block if is_v3 else _v2_block
    model_blocks = blocks(model)
    names = rename("stem", "features.0", CONV_BN)
    for n, (path, block) in enumerate(model_blocks, start=1):
        names |= block_names(path, f"features.{n}", parts(block))
    return names | rename("final_conv", f"features.{len(model_blocks) + 1}", CONV_BN)


def _v3_block(path: str, prefix: str, block_parts: list[str]) -> dict[str, str]:
    names = {}
    for k, part in enumerate(block_parts):
        names |= rename(f"{path}.{part}", f"{prefix}.block.{k}", SQUEEZE_EXCITE if part == "se" else CONV_BN)
    return names


def _v2_block(path: str, prefix: str, block_parts: list[str]) -> dict[str, str]:
    names = {}
    for k, part in enumerate(block_parts):
        layers = {"conv": f"{k}", "bn": f"{k + 1}"} if part == "project" else {"conv": f"{k}.0", "bn": f"{k}.1"}
        names |= rename(f"{path}.{part}", f"{prefix}.conv", layers)
    return names
