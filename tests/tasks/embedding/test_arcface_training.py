"""The ArcFace loss trains a MobileFaceNet: a quarter-width network, a few dozen steps on four
synthetic identities (a fixed random image each, seen under fresh noise), separates unseen
samples of them. Chance is 1 in 4."""

import itertools

import torch
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from lightnets import create_model
from lightnets.tasks.embedding import ArcFace, roc

IDENTITIES, PER_IDENTITY, STEPS = 4, 4, 24


def samples(faces: torch.Tensor, per_identity: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.arange(IDENTITIES).repeat_interleave(per_identity)
    noise = torch.randn(len(labels), *faces.shape[1:], generator=torch.Generator().manual_seed(seed))
    return faces[labels] + 0.5 * noise, labels


def recalibrate_bn(model: torch.nn.Module, batches) -> None:
    """BN's running statistics, averaged anew over ``batches`` with the trained weights: in a
    few dozen steps the weights move faster than the exponential average (momentum 0.1) follows."""
    model.train()
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a plain average of the batches
    with torch.no_grad():
        for x in batches:
            model(x)
    model.eval()


def test_arcface_separates_identities():
    torch.manual_seed(0)
    faces = torch.randn(IDENTITIES, 3, 112, 112)
    model = create_model("mobilefacenet", width=0.25, embedding_dim=32)
    arcface = ArcFace(32, IDENTITIES)  # the paper's s = 64, m = 0.5
    held_out, held_labels = samples(faces, 8, seed=1000)

    def evaluate() -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            emb = model(held_out)
            accuracy = (arcface.cosine(emb).argmax(1) == held_labels).float().mean().item()
            return arcface(emb, held_labels).item(), accuracy

    loss_before, acc_before = evaluate()
    model.train()
    opt = torch.optim.Adam([*model.parameters(), *arcface.parameters()], lr=3e-4)
    for step in range(STEPS):
        x, y = samples(faces, PER_IDENTITY, seed=step)
        loss = arcface(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    recalibrate_bn(model, (samples(faces, PER_IDENTITY, seed=500 + i)[0] for i in range(4)))
    loss_after, acc_after = evaluate()
    assert loss_after < 0.1 * loss_before, (loss_before, loss_after)
    assert acc_before <= 0.5 and acc_after == 1.0, (acc_before, acc_after)
    # as verification: every held-out same-identity pair scores above every different-identity pair
    with torch.no_grad():
        emb = F.normalize(model(held_out))
    pairs = list(itertools.combinations(range(len(held_labels)), 2))
    scores = [float(emb[i] @ emb[j]) for i, j in pairs]
    assert roc(scores, [bool(held_labels[i] == held_labels[j]) for i, j in pairs]).auc == 1.0
