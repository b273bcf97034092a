"""Embedding training as a task of the one engine (:class:`lightnets.training.task.Task`): ArcFace on identities.

The model is a classifier on its embedding (MobileFaceNet with ``num_classes`` identities, or any lightnets
classifier): its classifier's weight rows are ArcFace's class centres (:class:`~.arcface.ArcFace` is given that
very parameter, so the optimizer that trains the model trains the centres and a checkpoint holds them; the
classifier's bias is not used). A step embeds the batch (``forward_head(..., pre_logits=True)``: MobileFaceNet's
BN'd 128-d vector, a classifier's pooled features) and takes ArcFace's loss on it.

The score is face verification on the validation images: every pair of them (of at most :data:`MAX_PAIRED`
images, a fixed-seed sample beyond) is a same-identity or a different-identity pair, scored by cosine similarity;
the run keeps its best checkpoint by the ROC's area (in %, threshold-free). Beside it: identification top-1 (the
nearest centre by cosine) and the ArcFace loss.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ...data import DataSplits, Preprocessing
from ...models import LightNet
from ...training.config import TrainConfig
from ...training.task import Score, Step, Task, check_common
from .arcface import ArcFace
from .verification import roc

MAX_PAIRED = 2000  # validation images paired with each other (2,000 make 1,999,000 pairs)


class ArcFaceTask(Task):
    """ArcFace with scale ``s`` and margin ``m`` on the embeddings of ``model``, whose classifier holds one centre
    per identity; scored by the verification AUC of the validation pairs."""

    name, score, label = "embedding", "auc", "pair AUC"

    def __init__(self, model: LightNet, s: float = 64.0, m: float = 0.5):
        self.model, self.s, self.m = model, s, m
        self.arcface = self.arcface_of(model)

    def arcface_of(self, model: nn.Module) -> ArcFace:
        """ArcFace on ``model``'s classifier weight (the same parameter: its rows are the class centres)."""
        fc = model.get_classifier() if isinstance(model, LightNet) else None
        if not isinstance(fc, nn.Linear):
            raise TypeError(f"ArcFace trains a lightnets classifier whose last layer is a linear layer on the "
                            f"embedding (create_model('mobilefacenet', num_classes=...)), got "
                            f"{type(model).__name__} with {type(fc).__name__}")
        arcface = ArcFace(fc.in_features, fc.out_features, self.s, self.m)
        arcface.weight = fc.weight
        return arcface

    def check(self, model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig) -> None:
        if model is not self.model:
            raise ValueError("the ArcFace task was made for another model; make it with the model it trains")
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            raise ValueError("ArcFace training runs in one process: its step reads the embedding beside the "
                             "network's forward, which DistributedDataParallel would not synchronise")
        if len(data.classes) < 2:
            raise ValueError(f"the data has {len(data.classes)} identity; ArcFace needs at least two (one folder "
                             "per identity)")
        if model.num_classes != len(data.classes):
            raise ValueError(f"the model has {model.num_classes} identity centres but the data has "
                             f"{len(data.classes)} identities; build it with num_classes={len(data.classes)}")
        check_common(model, data, pre, config)

    def step(self, network: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> Step:
        embeddings = embed(self.model, images).float()
        loss = self.arcface(embeddings, labels)
        with torch.no_grad():
            hits = (self.arcface.cosine(embeddings).argmax(dim=1) == labels).sum()
        return Step(loss, labels.numel(), hits)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: Iterable, *, device: torch.device, progress: bool, desc: str,
                 reduce: Callable[[torch.Tensor], None]) -> Score:
        arcface = self.arcface_of(model)  # the evaluated model's centres (the EMA's, say)
        was_training = model.training
        model.eval()
        embeddings, labels = [], []
        try:
            for images, targets in tqdm(loader, desc=desc, disable=not progress, leave=False, unit="batch"):
                embeddings.append(embed(model, images.to(device)).float())
                labels.append(targets.to(device))
        finally:
            model.train(was_training)
        embeddings, labels = torch.cat(embeddings), torch.cat(labels)
        loss = arcface(embeddings, labels).item()
        top1 = 100 * (arcface.cosine(embeddings).argmax(dim=1) == labels).double().mean().item()
        return Score(loss, 100 * verification_auc(embeddings.cpu(), labels.cpu()), {"top1": top1})

    def head(self, model: nn.Module) -> nn.Module:
        return model.get_classifier()


def embed(model: LightNet, images: torch.Tensor) -> torch.Tensor:
    """The embedding the classifier's last layer reads: ``forward_head(forward_features(x), pre_logits=True)``."""
    return model.forward_head(model.forward_features(images), pre_logits=True)


def verification_auc(embeddings: torch.Tensor, labels: torch.Tensor, seed: int = 0) -> float:
    """The ROC area of every pair of (at most :data:`MAX_PAIRED`) embeddings: same label or not, by cosine."""
    if len(embeddings) > MAX_PAIRED:
        keep = torch.randperm(len(embeddings), generator=torch.Generator().manual_seed(seed))[:MAX_PAIRED]
        embeddings, labels = embeddings[keep], labels[keep]
    unit = F.normalize(embeddings.double())
    i, j = torch.triu_indices(len(unit), len(unit), offset=1)
    scores = (unit @ unit.T)[i, j]
    same = labels[i] == labels[j]
    if same.all() or not same.any():
        raise ValueError(f"verification needs same- and different-identity pairs among the {len(unit)} validation "
                         f"images; they hold {len(labels.unique())} identities, "
                         f"{'each once' if not same.any() else 'one'}: give the validation split at least two "
                         "images of an identity and two identities")
    return roc(scores.numpy(), same.numpy()).auc
