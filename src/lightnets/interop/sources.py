"""Which torchvision and timm MobileNets lightnets can load, and the lightnets model each becomes.

A source arch maps onto a registered lightnets model plus the variant values that make it
compute exactly what the source computes: the width multiplier (which fixes every channel
count, since lightnets rounds widths the way timm does), the BatchNorm epsilon the source
was trained with (torchvision's MobileNetV3 uses 1e-3, everything else here 1e-5), and the
activation where the source departs from the paper (timm's MobileNetV1 uses ReLU6).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """The lightnets model that computes what one source arch computes."""

    model: str  # lightnets registry name
    width: float = 1.0  # fixes every channel count, hence every key's shape
    bn_eps: float | None = 1e-5  # BatchNorm epsilon the source trained with (None: no bn_eps option: no BN, or
    # BN fixed at PyTorch's 1e-5 as in VGG)
    act: str | None = None  # activation, only where the source differs from the lightnets default
    variant: tuple[tuple[str, Any], ...] = ()  # other builder options the source fixes, as (name, value)

    def create_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``create_model(self.model, ...)``."""
        kwargs: dict[str, Any] = {"width": self.width, **dict(self.variant)}
        if self.bn_eps is not None:
            kwargs["bn_eps"] = self.bn_eps
        if self.act is not None:
            kwargs["act"] = self.act
        return kwargs


def _timm_widths(prefix: str, model: str, widths: tuple[float, ...], **variant: Any) -> dict[str, Target]:
    """timm names its width variants ``<prefix>_<100 x width>``, e.g. mobilenetv2_035."""
    return {f"{prefix}_{round(w * 100):03d}": Target(model, width=w, **variant) for w in widths}


# torchvision and timm name their ResNets and ResNeXts as lightnets does and build the same networks; timm also has
# ResNeXt-101 32x4d and the Res2Nets.
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "wide_resnet101_2",
           "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d")
RES2NETS = ("res2net50_26w_4s", "res2net50_48w_2s", "res2net50_14w_8s", "res2net50_26w_6s", "res2net50_26w_8s",
            "res2next50")
SKNETS = ("skresnet18", "skresnet34", "skresnext50_32x4d")  # timm's; its sknet.py names them as lightnets does
SENETS = ("legacy_seresnet18", "legacy_seresnet34", "legacy_seresnet50", "legacy_seresnet101", "legacy_seresnet152",
          "legacy_seresnext50_32x4d", "legacy_seresnext101_32x4d", "seresnet50", "seresnext50_32x4d",
          "seresnext101_32x4d")  # timm's, named as lightnets names them
SHUFFLENET_V2 = ("shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0")

SOURCES: dict[str, dict[str, Target]] = {
    "torchvision": {
        "mobilenet_v2": Target("mobilenet_v2", bn_eps=1e-5),
        "mobilenet_v3_large": Target("mobilenet_v3_large", bn_eps=1e-3),
        "mobilenet_v3_small": Target("mobilenet_v3_small", bn_eps=1e-3),
        **{name: Target(name) for name in ("densenet121", "densenet161", "densenet169", "densenet201")},
        "googlenet": Target("googlenet", bn_eps=1e-3, variant=(("aux_logits", True),)),
        "inception_v3": Target("inception_v3", bn_eps=1e-3, variant=(("aux_logits", True),)),
        "alexnet": Target("alexnet", bn_eps=None),
        **{name: Target(name, bn_eps=None) for name in ("squeezenet1_0", "squeezenet1_1")},
        **{name: Target(name, bn_eps=None) for name in (
            "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn")},
        **{name: Target(name, bn_eps=1e-5) for name in RESNETS},
        **{name: Target(name, width=float(name[-3:].replace("_", "."))) for name in SHUFFLENET_V2},
    },
    "timm": {
        **_timm_widths("mobilenetv1", "mobilenet_v1", (1.0, 1.25), act="relu6"),
        **_timm_widths("mobilenetv2", "mobilenet_v2", (0.35, 0.5, 0.75, 1.0, 1.4)),
        **_timm_widths("mobilenetv3_large", "mobilenet_v3_large", (0.75, 1.0)),
        **_timm_widths("mobilenetv3_small", "mobilenet_v3_small", (0.75, 1.0)),
        **{name: Target(name) for name in ("densenet121", "densenet161", "densenet169", "densenet201")},
        **{name: Target(name, bn_eps=1e-3) for name in ("dpn68", "dpn68b", "dpn92", "dpn98", "dpn107", "dpn131")},
        "inception_v3": Target("inception_v3", bn_eps=1e-3),
        "inception_v4": Target("inception_v4", bn_eps=1e-3),
        "inception_resnet_v2": Target("inception_resnet_v2", bn_eps=1e-3),
        **{name: Target(name, bn_eps=1e-5) for name in RESNETS},  # timm's default ResNets are torchvision's ("v1.5")
        "resnext101_32x4d": Target("resnext101_32x4d", bn_eps=1e-5),
        "legacy_xception": Target("xception", bn_eps=1e-5),
        **{name: Target(name, bn_eps=1e-5) for name in RES2NETS},
        **{name: Target(name, bn_eps=1e-5) for name in SKNETS},
        **{name: Target(name, bn_eps=1e-5) for name in SENETS},
    },
}


def resolve(source: str, arch: str) -> Target:
    """The :class:`Target` for ``(source, arch)``; a ValueError naming close matches otherwise."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}{_did_you_mean(source, SOURCES)}; valid: {', '.join(SOURCES)}")
    archs = SOURCES[source]
    if arch not in archs:
        elsewhere = [other for other, names in SOURCES.items() if arch in names]
        hint = f"; {arch!r} is a {elsewhere[0]} arch" if elsewhere else _did_you_mean(arch, archs)
        raise ValueError(f"unknown {source} arch {arch!r}{hint}; valid: {', '.join(archs)}")
    return archs[arch]


def _did_you_mean(name: str, valid) -> str:
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
