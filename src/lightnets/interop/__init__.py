"""Exact weight interop: torchvision's and timm's MobileNet checkpoints in lightnets models.

``load_reference_weights("mobilenetv3_large_100.pth", "timm", "mobilenetv3_large_100")``
returns the lightnets ``mobilenet_v3_large`` (with timm's BatchNorm eps) whose outputs
equal timm's. ``SOURCES`` lists every supported ``source -> arch -> Target``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_getattr
from .sources import SOURCES, Target, resolve

__all__ = ["SOURCES", "Target", "convert_state_dict", "identify", "key_pairs", "load_reference_weights", "resolve"]

# ``convert`` needs torch; it loads on first use (PEP 562) so that SOURCES, which the
# command line's --help shows, costs no torch import.
_LAZY = dict.fromkeys(("convert_state_dict", "identify", "key_pairs", "load_reference_weights"), ".convert")

if TYPE_CHECKING:
    from .convert import convert_state_dict, identify, key_pairs, load_reference_weights


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
