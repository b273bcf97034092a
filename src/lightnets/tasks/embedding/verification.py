"""Face verification on pairs: is this the same person? The metrics face papers report.

A pair's score is the cosine similarity of its two embeddings; a threshold t accepts a pair
as "same" when score >= t. Over all thresholds that gives the ROC: the true accept rate (TAR,
accepted same pairs / same pairs) against the false accept rate (FAR, accepted different
pairs / different pairs). Reported from it:

- TAR at a fixed FAR (MegaFace's TAR@FAR=1e-6 in MobileFaceNet's abstract, arXiv:1804.07573;
  IJB's 1e-4 .. 1e-2): the best TAR among thresholds whose FAR is at most the target.
  With N different pairs the FARs that exist are multiples of 1/N, so a target below 1/N
  cannot be measured and is refused (it would silently mean "FAR 0").
- The area under the ROC.
- The best-threshold accuracy of LFW's protocol (Huang et al. 2007, "view 2"): in k folds,
  the threshold is chosen on the other k - 1 folds and the accuracy measured on the held-out
  one, the mean over folds reported; with one fold, the best accuracy on all pairs
  (optimistic: the threshold sees the pairs it is scored on).

Tied scores share one threshold: a threshold accepts all of them or none, so the ROC jumps
over them in one step and no metric depends on the pairs' order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


def pair_scores(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """The cosine similarity of each row of ``a`` with the same row of ``b``."""
    if a.dim() != 2 or a.shape != b.shape:
        raise ValueError(f"expected two (N, D) batches of embeddings of one shape, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    return F.cosine_similarity(a.double(), b.double(), dim=1).numpy()


def _check(scores, same) -> tuple[np.ndarray, np.ndarray]:
    scores, same = np.asarray(scores, dtype=np.float64), np.asarray(same)
    if scores.ndim != 1 or scores.shape != same.shape:
        raise ValueError(f"expected one score per pair and one label per pair, got {scores.shape} and {same.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite numbers")
    if same.dtype != bool:
        if not np.isin(same, (0, 1)).all():
            raise ValueError(f"same/different labels must be 0 or 1, got {sorted(set(same.tolist()) - {0, 1})[:5]}")
        same = same.astype(bool)
    if same.all() or not same.any():
        raise ValueError(f"verification needs both same and different pairs, got {int(same.sum())} same and "
                         f"{int((~same).sum())} different")
    return scores, same


@dataclass(frozen=True)
class ROC:
    """One point per distinct threshold, from accepting nothing (threshold +inf) to accepting
    every pair (the lowest score): thresholds fall, TAR and FAR rise."""

    thresholds: np.ndarray
    tar: np.ndarray
    far: np.ndarray
    positives: int  # same pairs
    negatives: int  # different pairs

    @property
    def auc(self) -> float:
        return float(np.sum(np.diff(self.far) * (self.tar[1:] + self.tar[:-1]) / 2))  # trapezoids


def roc(scores, same) -> ROC:
    scores, same = _check(scores, same)
    order = np.argsort(-scores, kind="stable")
    scores, same = scores[order], same[order]
    last_of_tie = np.r_[scores[1:] != scores[:-1], True]  # a threshold at each distinct score, after its ties
    accepted_same = np.cumsum(same)[last_of_tie]
    accepted_different = np.cumsum(~same)[last_of_tie]
    positives, negatives = int(same.sum()), int((~same).sum())
    return ROC(thresholds=np.r_[np.inf, scores[last_of_tie]], tar=np.r_[0, accepted_same] / positives,
               far=np.r_[0, accepted_different] / negatives, positives=positives, negatives=negatives)


def measurable(curve: ROC, far: float) -> bool:
    """Whether ``curve``'s different pairs can measure a FAR of ``far``: one false accept among them is at most it."""
    return far * curve.negatives >= 1


def tar_at_far(curve: ROC, far: float) -> tuple[float, float]:
    """The best TAR at a FAR of at most ``far``, and the highest threshold that gives it."""
    if not 0 < far <= 1:
        raise ValueError(f"FAR must be in (0, 1], got {far!r}")
    if not measurable(curve, far):
        raise ValueError(f"FAR {far:g} cannot be measured on {curve.negatives} different pairs: the smallest FAR "
                         f"above 0 they allow is 1/{curve.negatives} = {1 / curve.negatives:.3g}; use at least "
                         f"{int(np.ceil(1 / far))} different pairs, or a FAR >= {1 / curve.negatives:.3g}")
    tar = np.where(curve.far <= far, curve.tar, -1.0)
    i = int(np.argmax(tar))  # the first, i.e. highest, threshold that reaches the best TAR
    return float(curve.tar[i]), float(curve.thresholds[i])


@dataclass(frozen=True)
class Accuracy:
    mean: float  # accuracy on held-out folds, averaged (on all pairs with folds=1)
    std: float  # over folds (0 with folds=1)
    thresholds: tuple[float, ...]  # the threshold each fold chose


def _best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    candidates = np.r_[np.inf, np.unique(scores)[::-1]]
    correct = [((scores >= t) == same).sum() for t in candidates]
    return float(candidates[int(np.argmax(correct))])  # the first, i.e. highest, of the best thresholds


def best_accuracy(scores, same, folds: int = 10) -> Accuracy:
    """LFW-style accuracy: ``folds`` consecutive blocks of pairs (LFW's pairs.txt lists its ten
    sets one after another), each scored with the threshold the others choose."""
    scores, same = _check(scores, same)
    if isinstance(folds, bool) or not isinstance(folds, int) or not 1 <= folds <= len(scores):
        raise ValueError(f"folds must be an integer from 1 to the number of pairs ({len(scores)}), got {folds!r}")
    if folds == 1:
        t = _best_threshold(scores, same)
        return Accuracy(float(((scores >= t) == same).mean()), 0.0, (t,))
    blocks = np.array_split(np.arange(len(scores)), folds)
    accuracies, thresholds = [], []
    for held_out in blocks:
        chosen = np.ones(len(scores), dtype=bool)
        chosen[held_out] = False
        t = _best_threshold(scores[chosen], same[chosen])
        accuracies.append(((scores[held_out] >= t) == same[held_out]).mean())
        thresholds.append(t)
    return Accuracy(float(np.mean(accuracies)), float(np.std(accuracies)), tuple(thresholds))
