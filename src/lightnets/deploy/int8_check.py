"""Does an int8 program still make the fp32 model's decisions? Top-1 agreement on real images.

How far int8 logits stray from fp32's depends on the model, its calibration and the
runtime's rounding, so a logit tolerance tuned on one training run fails on the next. What
a user relies on is the decision, so this check runs the fp32 model and its int8 artefact
on the same held-out images and counts the images on which int8's top-1 class equals
fp32's (the *agreement*), and reports the top-1 accuracy of both against the labels.

The threshold follows from what a broken program does. A program whose output carries no
information about fp32's decision (garbage scales that saturate it to one constant, or
scramble it) agrees with fp32 only by chance, and chance agreement is at most ``chance``,
the share of the images on which fp32 predicts its most frequent class: 1 / classes when
fp32's predictions are balanced, more when they are not, which is exactly when a
constant-output program scores more. A correct int8 program changes fp32's decision only on
images close to a decision boundary. The check asks int8 to cover at least half of the way
from chance to full agreement::

    threshold = chance + (1 - chance) / 2      # 55% for 10 balanced classes, 75% for 2

and it must be able to tell on the images it has: a chance-level program still reaches the
threshold by luck with probability ``P(Binomial(images, chance) >= threshold x images)``;
above :data:`MAX_FALSE_PASS` the images are too few, or fp32 predicts too few distinct
classes on them, and the check refuses (``ValueError``) instead of passing anything.

The top-1 change is reported, not judged: on a weak model the gap between fp32's accuracy
and chance is small and noisier than agreement, and how much accuracy a deployment may
give up is the user's call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import torch

from .onnx_export import ExportError

# A chance-level program may pass the check with at most this probability.
MAX_FALSE_PASS = 1e-3
# Held-out images the check runs on: the agreement's standard error is then at most 1.6
# points and the paired top-1 change's about 1 point (10% of decisions flipped), in seconds.
CHECK_IMAGES = 1000


@dataclass(frozen=True)
class Int8Check:
    """Agreement of an int8 program with its fp32 model on ``images`` labelled images.
    Every rate is a percentage."""

    images: int
    agreement: float  # images where int8's top-1 equals fp32's
    chance: float  # share of fp32's most frequent prediction: what a program unrelated to fp32 agrees at most
    threshold: float
    fp32_top1: float
    int8_top1: float

    @property
    def top1_change(self) -> float:
        """int8's top-1 minus fp32's, in points."""
        return self.int8_top1 - self.fp32_top1

    @property
    def passed(self) -> bool:
        return self.agreement >= self.threshold

    def summary(self) -> str:
        return (f"int8 agrees with fp32's top-1 on {self.agreement:.1f}% of {self.images} held-out images "
                f"(threshold {self.threshold:.1f}%, chance {self.chance:.1f}%); top-1 {self.fp32_top1:.2f}% -> "
                f"{self.int8_top1:.2f}% ({self.top1_change:+.2f} points)")


class Int8CheckError(ExportError):
    """The int8 program's decisions are no better than chance at following fp32's; ``check``
    holds the measurement."""

    def __init__(self, check: Int8Check):
        super().__init__(f"the int8 program is broken: {check.summary()}")
        self.check = check


def threshold_for(chance: float) -> float:
    """The agreement (fraction) an int8 program must reach when chance agreement is ``chance``."""
    return chance + (1.0 - chance) / 2


def false_pass_probability(images: int, chance: float) -> float:
    """``P(Binomial(images, chance) >= threshold x images)``: how likely a program that agrees
    only by chance passes the check on ``images`` images."""
    need = math.ceil(threshold_for(chance) * images - 1e-9)
    if chance >= 1.0:
        return 1.0
    if chance <= 0.0:
        return float(need <= 0)
    log_p, log_q = math.log(chance), math.log1p(-chance)
    base = math.lgamma(images + 1)
    return min(1.0, sum(math.exp(base - math.lgamma(k + 1) - math.lgamma(images - k + 1) + k * log_p
                                 + (images - k) * log_q) for k in range(need, images + 1)))


def images_needed(chance: float) -> int | None:
    """The fewest images (to a factor of 2) on which the check can tell at this ``chance``;
    ``None`` when no number can (fp32 predicts one class only)."""
    if chance >= 1.0:
        return None
    images = 2
    while false_pass_probability(images, chance) > MAX_FALSE_PASS:
        images *= 2
    return images


def top1(logits: torch.Tensor) -> torch.Tensor:
    """The top-1 class of each row, picked among tied logits as :func:`torch.topk` picks (as
    ``lightnets eval`` does). int8 outputs tie often: a quantized classifier output takes a
    few hundred distinct values."""
    return logits.topk(1, dim=1).indices[:, 0]


def check_int8(fp32: Callable[[torch.Tensor], torch.Tensor], int8: Callable[[torch.Tensor], torch.Tensor],
               batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> Int8Check:
    """Run ``fp32`` and ``int8`` on ``batches`` of (images, labels) and compare their top-1.
    Raises :class:`Int8CheckError` below the threshold, ``ValueError`` when the images cannot
    tell a working program from a broken one, :class:`ExportError` on a wrong output shape."""
    fp32_top, int8_top, labels = [], [], []
    with torch.no_grad():
        for images, targets in batches:
            expected, got = fp32(images), int8(images)
            if got.shape != expected.shape:
                raise ExportError(f"the int8 program gave shape {tuple(got.shape)}, fp32 {tuple(expected.shape)}")
            fp32_top.append(top1(expected))
            int8_top.append(top1(got))
            labels.append(torch.as_tensor(targets))
    if not labels:
        raise ValueError("the int8 check got no held-out images; it needs labelled images the model was not trained on")
    reference, candidate, truth = torch.cat(fp32_top), torch.cat(int8_top), torch.cat(labels)
    n = len(truth)
    chance = float(torch.bincount(reference).max()) / n
    if false_pass_probability(n, chance) > MAX_FALSE_PASS:
        needed = images_needed(chance)
        hint = (f"give at least about {needed} held-out images" if needed else
                "give held-out images of more than one class, or a model whose predictions differ between them")
        raise ValueError(f"fp32 predicts one class for {chance:.0%} of the {n} held-out images, so top-1 agreement "
                         f"cannot tell a working int8 program from a broken one; {hint}")
    check = Int8Check(
        images=n,
        agreement=100.0 * float((candidate == reference).float().mean()),
        chance=100.0 * chance,
        threshold=100.0 * threshold_for(chance),
        fp32_top1=100.0 * float((reference == truth).float().mean()),
        int8_top1=100.0 * float((candidate == truth).float().mean()),
    )
    if not check.passed:
        raise Int8CheckError(check)
    return check


def check_batches(dataset, images: int = CHECK_IMAGES, batch_size: int = 64, seed: int = 0):
    """At most ``images`` items of ``dataset`` (held-out, labelled), a seeded random choice
    kept in the dataset's order, as a loader of (images, labels) batches for
    :func:`check_int8`."""
    from torch.utils.data import DataLoader, Subset

    picked = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:images].sort().values
    return DataLoader(Subset(dataset, picked.tolist()), batch_size=batch_size)
