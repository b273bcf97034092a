"""Exact weight interop: torchvision's and timm's MobileNet checkpoints in lightnets models.

``load_reference_weights("mobilenetv3_large_100.pth", "timm", "mobilenetv3_large_100")``
returns the lightnets ``mobilenet_v3_large`` (with timm's BatchNorm eps) whose outputs
equal timm's. ``SOURCES`` lists every supported ``source -> arch -> Target``.
"""

from .convert import convert_state_dict, identify, key_pairs, load_reference_weights
from .sources import SOURCES, Target, resolve

__all__ = ["SOURCES", "Target", "convert_state_dict", "identify", "key_pairs", "load_reference_weights", "resolve"]
