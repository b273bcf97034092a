"""Face embeddings (MobileFaceNet, arXiv:1804.07573): the ArcFace loss that trains them, the
verification metrics that evaluate them on pairs, and the pairs file those come from."""

from .arcface import ArcFace
from .pairs import Pair, read_pairs
from .verification import ROC, Accuracy, best_accuracy, pair_scores, roc, tar_at_far

__all__ = ["ROC", "Accuracy", "ArcFace", "Pair", "best_accuracy", "pair_scores", "read_pairs", "roc", "tar_at_far"]
