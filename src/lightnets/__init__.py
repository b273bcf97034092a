"""lightnets: lightweight convolutional networks, counted exactly and measured honestly."""

from .analysis import conv_cost, profile
from .models import create_model, list_models

__version__ = "0.1.0"
__all__ = ["__version__", "conv_cost", "create_model", "list_models", "profile"]
