"""lightnets: lightweight convolutional networks, counted exactly and measured honestly.

The names below load on first use (PEP 562), so that ``import lightnets`` and the command
line's ``--help`` do not pay for importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_getattr

__version__ = "0.1.0"
__all__ = ["__version__", "conv_cost", "create_model", "list_models", "profile"]

_LAZY = {"conv_cost": ".analysis", "profile": ".analysis", "create_model": ".models", "list_models": ".models"}

if TYPE_CHECKING:
    from .analysis import conv_cost, profile
    from .models import create_model, list_models


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
