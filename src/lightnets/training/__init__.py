"""Training: one engine (:func:`train`), recipes as named data, evaluation, checkpoints.

``train(model, data, pre, TrainConfig(out_dir, recipe="mobilenet", epochs=...))`` trains a
lightnets model on ``data.train`` / ``data.val`` on one process or, under ``torchrun``,
on many; ``evaluate(model, loader, num_classes)`` measures one.
"""

from .checkpoints import BEST, LAST
from .config import TrainConfig
from .engine import NonFiniteLoss, TrainResult, train
from .evaluate import EvalResult, evaluate
from .finetune import INIT_SOURCES, fit_classifier, load_pretrained
from .recipes import RECIPES, Recipe, get_recipe
from .rmsprop_tf import RMSpropTF

__all__ = [
    "BEST", "INIT_SOURCES", "LAST", "RECIPES", "EvalResult", "NonFiniteLoss", "RMSpropTF", "Recipe", "TrainConfig",
    "TrainResult", "evaluate", "fit_classifier", "get_recipe", "load_pretrained", "train",
]
