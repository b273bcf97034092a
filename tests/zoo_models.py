"""Which registered models the costly per-model tests run on, so the suite's time grows
with the number of families, not of variants.

Every MobileNet (each is its own table) and, for every other family, its smallest
registered variant by parameters (the ResNet body's attention networks, SKNet, GENet and GCNet, each count as a
family of their own: their blocks are other blocks): the shared machinery (export, BN folding, the counter
against FlopCounterMode) sees each family's blocks; the variants of a family differ only
in their table, which the family's own tests and the published rows check.
"""

from __future__ import annotations

import torch

from lightnets import create_model, list_models
from lightnets.models import MODELS


def _params(name: str) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in create_model(name).parameters())


def representatives() -> list[str]:
    families: dict[tuple[str, str | None], list[str]] = {}
    for name in list_models():
        entry = MODELS[name]
        families.setdefault((entry.builder.__name__, entry.preset.get("attention")), []).append(name)
    chosen = [name for (family, _), names in families.items() if family.startswith("mobilenet") for name in names]
    chosen += [min(names, key=_params) for (family, _), names in families.items() if not family.startswith("mobilenet")]
    return sorted(chosen)


REPRESENTATIVES = representatives()

# Representatives whose full-width weights dominate the costly tests' time (VGG-11's 133M parameters, the two-tower
# AlexNet's 61M, the ResNet-50-sized attention and Res2NeXt bodies: drawn, copied, folded and exported): those tests
# build them at this width, every layer kept.
NARROW = {"vgg11": 0.25, "alexnet_towers": 0.25, "ge_resnet50": 0.25, "gc_resnet50": 0.25, "res2next50": 0.25}


def build(name: str, **kwargs):
    """``create_model(name, **kwargs)``, at the representative's test width (:data:`NARROW`) unless one is given."""
    return create_model(name, **{"width": NARROW.get(name, 1.0), **kwargs})


# Families whose unpadded convs trim every map by a border although they need no input above the total stride
# (min_input stays the stride): Xception's two unpadded 3x3 stem convs take 7x7, NASNet-A's one takes 3x3; both
# have stride 32.
TRIMMED_BELOW_STRIDE = {"xception", "nasnet_a_mobile"}

# Families whose head takes the final map of one input size only: MobileFaceNet's GDConv kernel covers the 7x7 map of a
# 112x112 face (inputs 97 to 112 a side give it). The tests that change the input size (resolution scaling, the
# resolution round trip) leave them out; tests/models/test_mobilefacenet.py checks the sizes they take and refuse.
FIXED_INPUT = {"mobilefacenet"}
