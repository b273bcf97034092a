"""Verification metrics on pair lists worked by hand."""

import numpy as np
import pytest
import torch

from lightnets.tasks.embedding import best_accuracy, pair_scores, roc, tar_at_far

# two same pairs, two different ones; the second same pair ties with a different one at 0.8
SCORES, SAME = [0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]


def test_pair_scores_are_cosine_similarities():
    a, b = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.0, 3.0], [2.0, 2.0], [-1.0, 0.0]])
    np.testing.assert_allclose(pair_scores(a, b), [0.0, 1.0, -1.0], atol=1e-12)
    with pytest.raises(ValueError, match="two .N, D. batches of embeddings of one shape"):
        pair_scores(a, b[:2])


def test_roc_steps_over_ties_at_once():
    curve = roc(SCORES, SAME)
    # thresholds +inf, 0.9, 0.8 (accepting both pairs tied there), 0.1
    np.testing.assert_array_equal(curve.thresholds, [np.inf, 0.9, 0.8, 0.1])
    np.testing.assert_array_equal(curve.tar, [0, 0.5, 1, 1])
    np.testing.assert_array_equal(curve.far, [0, 0, 0.5, 1])
    # AUC = P(same scores above different) + 1/2 P(tie) = (3 + 0.5) / 4 over the four (same, different) couples
    assert curve.auc == 0.875
    # the order of the pairs does not matter, ties included
    shuffled = roc(SCORES[::-1], SAME[::-1])
    assert all(np.array_equal(getattr(curve, k), getattr(shuffled, k)) for k in ("thresholds", "tar", "far"))


def test_tar_at_far():
    scores = [0.9, 0.7, 0.6, 0.85, 0.8, 0.5, 0.4]  # same: 0.9, 0.7, 0.6; different: 0.85, 0.8, 0.5, 0.4
    same = [1, 1, 1, 0, 0, 0, 0]
    curve = roc(scores, same)
    assert tar_at_far(curve, 0.25) == (1 / 3, 0.9)  # one false accept of 4 allowed (0.85): 0.9 alone, kept strict
    assert tar_at_far(curve, 0.4999) == (1 / 3, 0.9)  # still one: 0.8 would make it 2 of 4
    assert tar_at_far(curve, 0.5) == (1.0, 0.6)  # two (0.85, 0.8): every same pair, from 0.6 (0.5 and 0.4 stay out)
    assert tar_at_far(curve, 1.0) == (1.0, 0.6)  # the highest threshold taking all three, not the lowest score
    with pytest.raises(ValueError, match=r"FAR 0.001 cannot be measured on 4 different pairs: the smallest FAR above 0 "
                                         r"they allow is 1/4 = 0.25; use at least 1000 different pairs"):
        tar_at_far(curve, 1e-3)
    with pytest.raises(ValueError, match=r"FAR must be in \(0, 1\], got 0"):
        tar_at_far(curve, 0)


def test_best_threshold_accuracy_on_all_pairs_and_in_folds():
    # all pairs: accepting from 0.9 or from 0.8 gets 3 of 4 right; the higher threshold is kept
    acc = best_accuracy(SCORES, SAME, folds=1)
    assert (acc.mean, acc.std, acc.thresholds) == (0.75, 0.0, (0.9,))
    # two folds: (0.9 same, 0.2 different) and (0.7 same, 0.4 different). Fold 1 is scored with the threshold fold 2
    # chooses (0.7): both right; fold 2 with fold 1's (0.9): 0.7 is rejected, 1 of 2 right
    scores, same = [0.9, 0.2, 0.7, 0.4], [1, 0, 1, 0]
    acc = best_accuracy(scores, same, folds=2)
    assert (acc.mean, acc.std, acc.thresholds) == (0.75, 0.25, (0.7, 0.9))
    assert best_accuracy(scores, same, folds=1).mean == 1.0  # the optimistic all-pairs number


@pytest.mark.parametrize("same, message", [
    ([1, 1, 2, 0], r"same/different labels must be 0 or 1, got \[2\]"),
    ([1, 1, 1, 1], "needs both same and different pairs, got 4 same and 0 different"),
    ([1, 0], r"one score per pair and one label per pair, got \(4,\) and \(2,\)"),
])
def test_bad_labels_are_refused(same, message):
    with pytest.raises(ValueError, match=message):
        roc(SCORES, same)


def test_bad_folds_are_refused():
    with pytest.raises(ValueError, match=r"folds must be an integer from 1 to the number of pairs \(4\), got 5"):
        best_accuracy(SCORES, SAME, folds=5)
