"""Training recipes as named data: every hyper-parameter a run takes from its recipe.

``mobilenet`` is the recipe of the MobileNet papers as their authors' TensorFlow code
runs it (tensorflow/tpu, ``models/official/mnasnet`` and ``efficientnet``, the code base
MobileNetV3 and MnasNet were trained with): TF1 RMSProp with decay 0.9, momentum 0.9 and
epsilon 1e-3; a peak learning rate of 0.016 per 256 images, scaled linearly with the batch;
5 epochs of linear warm-up; the learning rate multiplied by 0.97 every 2.4 epochs
(staircase); label smoothing 0.1; L2 weight decay 1e-5 (MobileNetV3 paper, "Training setup");
an exponential moving average of the weights with decay 0.9999 (MobileNetV3 paper)
evaluated in place of the weights. The papers' own schedules are given for their TPU and
multi-GPU batches and are not all self-consistent (MobileNetV3: 0.1 for 4096 images with a
"decay rate of 0.01 every 3 epochs"; MobileNetV2: 0.045 for 96 images, times 0.98 per
epoch); the code's per-256 rate and 0.97 / 2.4 epochs is the form that scales to any
batch. ``mobilenet-cosine`` is the same with a cosine decay, which suits runs far shorter
than the papers' 350+ epochs.

``sgd-cosine`` is the recipe of He et al., "Bag of Tricks for Image Classification"
(arXiv:1812.01187): SGD with Nesterov momentum 0.9, learning rate 0.1 per 256 images
(Goyal et al., arXiv:1706.02677), 5 epochs of linear warm-up, cosine decay to 0, label
smoothing 0.1, no EMA; weight decay 4e-5 is MobileNetV2's (paper, "Training setup"), since
Bag of Tricks' 1e-4 is ResNet-50's.

``sgd-cifar`` is ``sgd-cosine`` for small images and runs of tens of epochs, the recipe of
docs/benchmarks/cifar10.md: the larger rate that BatchNorm networks take at small batches
(0.4 per 256 images, 0.2 at the benchmark's 128), 2 warm-up epochs instead of 5, and the
weight decay usual on CIFAR-10, 5e-4 (ResNet paper, section 4.2: 1e-4; Wide ResNet and most
later CIFAR recipes: 5e-4).

All recipes follow the MobileNetV1 paper (section 3.2): "very little or no weight decay on
the depthwise filters since there are so few parameters in them", extended, as Bag of
Tricks does, to BatchNorm parameters and biases (``no_decay_dw_bn_bias``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

OPTIMIZERS = ("rmsprop_tf", "sgd_nesterov")
DECAYS = ("exponential", "cosine")


@dataclass(frozen=True)
class Recipe:
    """How to train: optimizer, learning-rate schedule and regularisation.

    ``lr`` is the peak learning rate for a batch of 256 images; a run scales it linearly
    to its global batch (Goyal et al.). ``warmup_epochs`` of linear warm-up from 0 come
    first; then the decay: ``exponential`` multiplies the rate by ``decay_rate`` every
    ``decay_epochs`` (TF's staircase ``exponential_decay``), ``cosine`` anneals it to 0.
    """

    name: str
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    warmup_epochs: float
    decay: str
    label_smoothing: float
    ema: bool
    no_decay_dw_bn_bias: bool = True
    rmsprop_decay: float = 0.9  # TF RMSProp ``decay`` (torch calls it ``alpha``)
    rmsprop_eps: float = 1e-3
    decay_rate: float = 0.97
    decay_epochs: float = 2.4
    ema_decay: float = 0.9999

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"recipe optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.decay not in DECAYS:
            raise ValueError(f"recipe decay must be one of {', '.join(DECAYS)}, got {self.decay!r}")
        for field, valid, ok in (
            ("lr", "> 0", self.lr > 0),
            ("momentum", "in [0, 1)", 0 <= self.momentum < 1),
            ("weight_decay", ">= 0", self.weight_decay >= 0),
            ("warmup_epochs", ">= 0", self.warmup_epochs >= 0),
            ("label_smoothing", "in [0, 1)", 0 <= self.label_smoothing < 1),
            ("rmsprop_decay", "in [0, 1)", 0 <= self.rmsprop_decay < 1),
            ("rmsprop_eps", "> 0", self.rmsprop_eps > 0),
            ("decay_rate", "in (0, 1]", 0 < self.decay_rate <= 1),
            ("decay_epochs", "> 0", self.decay_epochs > 0),
            ("ema_decay", "in [0, 1]", 0 <= self.ema_decay <= 1),
        ):
            if not ok:
                raise ValueError(f"recipe {field} must be {valid}, got {getattr(self, field)!r}")


MOBILENET = Recipe(
    name="mobilenet", optimizer="rmsprop_tf", lr=0.016, momentum=0.9, weight_decay=1e-5,
    warmup_epochs=5, decay="exponential", label_smoothing=0.1, ema=True,
)

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        MOBILENET,
        Recipe(
            name="mobilenet-cosine", optimizer="rmsprop_tf", lr=0.016, momentum=0.9, weight_decay=1e-5,
            warmup_epochs=5, decay="cosine", label_smoothing=0.1, ema=True,
        ),
        Recipe(
            name="sgd-cosine", optimizer="sgd_nesterov", lr=0.1, momentum=0.9, weight_decay=4e-5,
            warmup_epochs=5, decay="cosine", label_smoothing=0.1, ema=False,
        ),
        Recipe(
            name="sgd-cifar", optimizer="sgd_nesterov", lr=0.4, momentum=0.9, weight_decay=5e-4,
            warmup_epochs=2, decay="cosine", label_smoothing=0.1, ema=False,
        ),
    )
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; a ValueError listing the valid names otherwise."""
    try:
        return RECIPES[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), RECIPES, n=2, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown recipe {name!r}{hint} (valid: {', '.join(RECIPES)})") from None
