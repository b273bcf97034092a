"""Model families, one file each, and the registry that builds them by name."""

from .base import AuxOutput, LightNet, make_default_cfg
from .builder import StageStack, first_stride, model_builder
from .features import FeatureNet
from .heads import AuxHead, ClassifierHead, ConvClassifierHead, FCStackHead, GDCHead, Head
from .registry import MODELS, create_model, create_model_from_config, list_models

__all__ = [
    "MODELS",
    "AuxHead",
    "AuxOutput",
    "ClassifierHead",
    "ConvClassifierHead",
    "FCStackHead",
    "FeatureNet",
    "GDCHead",
    "Head",
    "LightNet",
    "StageStack",
    "create_model",
    "create_model_from_config",
    "first_stride",
    "list_models",
    "make_default_cfg",
    "model_builder",
]
