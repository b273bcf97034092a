"""evaluate(): metrics of a model whose predictions are known in advance, counted by hand."""

import pytest
import torch
from torch import nn

from lightnets.training import evaluate


class Lookup(nn.Module):
    """Returns the logits stored for each input id (the image tensor holds its id)."""

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        self.register_buffer("logits", logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[x[:, 0].long()]


def batches(labels, size):
    ids = torch.arange(len(labels), dtype=torch.float32)[:, None]
    labels = torch.tensor(labels)
    return [(ids[i:i + size], labels[i:i + size]) for i in range(0, len(labels), size)]


def test_top1_top5_per_class_confusion_and_loss():
    # 6 classes; rows: the classes ranked by logit, best first
    ranks = [[0, 1, 2, 3, 4, 5], [1, 0, 2, 3, 4, 5], [5, 4, 3, 2, 0, 1], [2, 1, 0, 3, 4, 5], [3, 2, 1, 0, 4, 5]]
    logits = torch.zeros(len(ranks), 6)
    for row, order in enumerate(ranks):
        logits[row, order] = torch.arange(6, 0, -1, dtype=torch.float32)
    labels = [0, 0, 1, 2, 3]
    model = Lookup(logits).train()
    result = evaluate(model, batches(labels, 2), num_classes=6)

    assert model.training  # mode restored
    assert result.images == 5
    assert result.top1 == pytest.approx(100 * 3 / 5)  # rows 0, 3, 4 are right
    assert result.top5 == pytest.approx(100 * 4 / 5)  # row 2 ranks its label last
    expected = torch.zeros(6, 6, dtype=torch.int64)
    for label, order in zip(labels, ranks):
        expected[label, order[0]] += 1
    assert torch.equal(result.confusion, expected)
    assert result.per_class == [50.0, 0.0, 100.0, 100.0, None, None]
    loss = nn.functional.cross_entropy(logits, torch.tensor(labels))
    assert result.loss == pytest.approx(loss.item())
    assert result.to_dict()["confusion"] == expected.tolist()


def test_reduce_sees_every_accumulator_before_metrics():
    seen = []

    def double(t):  # as if a second process had seen the same images
        seen.append(t.clone())
        t.mul_(2)

    result = evaluate(Lookup(torch.eye(3)), batches([0, 1, 2], 3), num_classes=3, reduce=double)
    assert result.images == 6 and result.top1 == 100.0 and result.confusion.trace() == 6
    assert len(seen) == 2


def test_labels_outside_the_classes_are_named():
    with pytest.raises(ValueError, match=r"label 7 is outside the 3 classes \(0..2\)"):
        evaluate(Lookup(torch.eye(3)), [(torch.zeros(2, 1), torch.tensor([1, 7]))], num_classes=3)
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate(Lookup(torch.eye(3)), [], num_classes=3)
