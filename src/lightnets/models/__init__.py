"""Model families, one file each, and the registry that builds them by name."""

from .base import LightNet
from .registry import MODELS, create_model, list_models

__all__ = ["MODELS", "LightNet", "create_model", "list_models"]
