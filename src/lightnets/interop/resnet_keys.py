"""torchvision's and timm's module name for every layer of a lightnets ResNet, ResNeXt or Res2Net.

timm keeps torchvision's names (torchvision/models/resnet.py, timm/models/resnet.py), so one rule serves both:
``conv1`` / ``bn1`` the stem, ``layer{i+1}.{j}`` the j-th block of stage i, ``conv1`` .. ``conv3`` with ``bn1`` ..
``bn3`` inside a block, ``downsample.0`` / ``downsample.1`` the projection shortcut's conv and BN, ``fc`` the
classifier. A ResNeXt's grouped 3x3 conv is ``conv2`` as in ResNet. timm's Res2Net is its ResNet with the
``Bottle2neck`` block (timm/models/res2net.py): the splits' 3x3 convs are ``convs.{k}`` with BNs ``bns.{k}``. timm's
SK-ResNets (timm/models/sknet.py) keep the names of the conv a selective kernel replaces (``conv1`` in a basic block,
``conv2`` in a bottleneck); inside it, the branches are ``paths.{k}`` (``conv``, ``bn``), the squeeze ``attn.fc_reduce``
with ``attn.bn``, the select ``attn.fc_select``;
the blocks' other convs are ``conv{k}.conv`` with ``conv{k}.bn``. timm's SE-ResNets and SE-ResNeXts
(timm/models/resnet.py) name a block's SE layer ``se`` (``fc1``, ``fc2``); its legacy SENets (timm/models/senet.py,
the released Caffe models) keep the block names but call it ``se_module``, the stem ``layer0.conv1`` /
``layer0.bn1`` and the classifier ``last_linear``.
"""

from __future__ import annotations

from ..models import LightNet
from .structure import rename

CONVS = ("conv1", "conv2", "conv3")  # a basic block has the first two
SHORTCUT = {"conv": "0", "bn": "1"}
SELECTIVE_KERNEL = {"squeeze.conv": "attn.fc_reduce", "squeeze.bn": "attn.bn", "select": "attn.fc_select"}


def module_names(model: LightNet) -> dict[str, str]:
    """lightnets module name -> torchvision / timm module name, for every layer with tensors."""
    legacy = model.config.get("senet_layout", False)
    names = ({"stem.conv.conv": "layer0.conv1", "stem.conv.bn": "layer0.bn1", "head.fc": "last_linear"} if legacy else
             {"stem.conv.conv": "conv1", "stem.conv.bn": "bn1", "head.fc": "fc"})
    for i, stage in enumerate(model.stages):
        for j, block in enumerate(stage):
            path, prefix = f"stages.{i}.{j}", f"layer{i + 1}.{j}"
            selective = any(hasattr(getattr(block, conv, None), "branches") for conv in CONVS)
            for k, conv in enumerate(CONVS, start=1):
                if not hasattr(block, conv):
                    continue
                if not selective:
                    names |= rename(f"{path}.{conv}", prefix, {"conv": conv, "bn": f"bn{k}"})
                elif hasattr(getattr(block, conv), "branches"):
                    for b in range(len(getattr(block, conv).branches)):
                        names |= rename(f"{path}.{conv}.branches.{b}", f"{prefix}.{conv}.paths.{b}",
                                        {"conv": "conv", "bn": "bn"})
                    names |= rename(f"{path}.{conv}", f"{prefix}.{conv}", SELECTIVE_KERNEL)
                else:  # timm's SK blocks build their other convs as ConvNormAct too
                    names |= rename(f"{path}.{conv}", f"{prefix}.{conv}", {"conv": "conv", "bn": "bn"})
            for k in range(len(getattr(block, "splits", ()))):
                names |= {f"{path}.splits.{k}.conv": f"{prefix}.convs.{k}",
                          f"{path}.splits.{k}.bn": f"{prefix}.bns.{k}"}
            if model.config.get("attention") == "squeeze_excite":
                se = "se_module" if legacy else "se"
                names |= rename(f"{path}.attn", f"{prefix}.{se}", {"fc1": "fc1", "fc2": "fc2"})
            if block.shortcut is not None:
                names |= rename(f"{path}.shortcut", f"{prefix}.downsample", SHORTCUT)
    return names
