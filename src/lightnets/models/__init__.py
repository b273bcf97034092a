"""Model families, one file each, and the registry that builds them by name."""

from .base import LightNet
from .registry import MODELS, create_model, create_model_from_config, list_models

__all__ = ["MODELS", "LightNet", "create_model", "create_model_from_config", "list_models"]
