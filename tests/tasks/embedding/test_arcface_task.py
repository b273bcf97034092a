"""ArcFace through the one training engine (``lightnets train MODEL --loss arcface``): the classifier's rows are
the centres ArcFace trains, the run is scored and kept by the verification AUC of its validation pairs, and what
it keeps scores the same when reloaded."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image
from torch.utils.data import TensorDataset

from lightnets import create_model
from lightnets.checkpoint import load_checkpoint
from lightnets.cli import main
from lightnets.data import DataSplits, Preprocessing
from lightnets.tasks.embedding import task as embedding_task
from lightnets.tasks.embedding.task import ArcFaceTask, embed, verification_auc
from lightnets.training import TrainConfig, train

IDENTITIES = ["ada", "ben", "cy"]


def identities(per_identity: int, seed: int) -> TensorDataset:
    faces = torch.randn(len(IDENTITIES), 3, 112, 112, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(len(IDENTITIES)).repeat_interleave(per_identity)
    noise = torch.randn(len(labels), 3, 112, 112, generator=torch.Generator().manual_seed(seed))
    return TensorDataset(faces[labels] + 0.5 * noise, labels)


def test_the_classifiers_rows_are_the_centres_arcface_trains():
    model = create_model("mobilefacenet", width=0.25, embedding_dim=16, num_classes=3)
    task = ArcFaceTask(model)
    assert task.arcface.weight is model.get_classifier().weight
    assert {id(p) for p in task.arcface.parameters()} <= {id(p) for p in model.parameters()}
    with pytest.raises(TypeError, match="whose last layer is a linear layer on the embedding"):
        ArcFaceTask(create_model("mobilefacenet", width=0.25))  # no classifier: num_classes=0


def test_verification_auc_of_separated_reversed_and_unpairable_embeddings(monkeypatch):
    e = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    assert verification_auc(e, torch.tensor([0, 0, 1, 1])) == 1.0
    assert verification_auc(e, torch.tensor([0, 1, 1, 0])) < 0.5  # same identities far apart
    with pytest.raises(ValueError, match="4 identities, each once"):
        verification_auc(e, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="1 identities, one"):
        verification_auc(e, torch.tensor([0, 0, 0, 0]))
    outlier = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [0.0, 1.0]])  # image 2: far from its mate 3
    labels = torch.tensor([0, 0, 1, 1])
    assert verification_auc(outlier, labels) < 1.0
    monkeypatch.setattr(embedding_task, "MAX_PAIRED", 3)  # the fixed-seed sample: images 0, 1 and 3
    assert verification_auc(outlier, labels) == 1.0


def test_the_engine_trains_arcface_and_keeps_the_run_by_pair_auc(tmp_path):
    torch.manual_seed(0)
    data = DataSplits(identities(8, seed=1), identities(4, seed=2), IDENTITIES, source="synthetic identities")
    model = create_model("mobilefacenet", width=0.25, embedding_dim=16, num_classes=3)
    before = model.get_classifier().weight.detach().clone()
    pre = Preprocessing(input_size=112, mean=(0.5,) * 3, std=(0.5,) * 3, crop_pct=1.0)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=8, progress=False)
    result = train(model, data, pre, config, task=ArcFaceTask(model), say=lambda _: None)
    assert result.score == "auc" and result.epochs_done == 2
    assert {"val_auc", "val_top1", "val_loss", "train_loss"} <= result.history[-1].keys()
    assert not torch.equal(before, model.get_classifier().weight.detach())  # the centres were trained
    loaded, extra = load_checkpoint(result.best)
    loaded.eval()
    val = torch.stack([x for x, _ in data.val])
    with torch.no_grad():
        again = verification_auc(embed(loaded, val), torch.tensor([y for _, y in data.val]))
    assert 100 * again == pytest.approx(extra["metrics"]["val_auc"], abs=1e-9)


@pytest.fixture
def faces(tmp_path):
    root = tmp_path / "faces"
    for k, name in enumerate(IDENTITIES):
        (root / name).mkdir(parents=True)
        face = torch.rand(112, 112, 3, generator=torch.Generator().manual_seed(k))
        for i in range(8):
            noisy = (face + 0.2 * torch.rand(112, 112, 3, generator=torch.Generator().manual_seed(100 * k + i)))
            Image.fromarray((noisy.clamp(0, 1) * 255).byte().numpy()).save(root / name / f"{i}.png")
    return root


def test_lightnets_train_loss_arcface(capsys, faces, tmp_path):
    code = main(["train", "mobilefacenet", "--width", "0.25", "--model-kwargs", "embedding_dim=16", "--data",
                 str(faces), "--val-fraction", "0.25", "--loss", "arcface", "--arcface-margin", "0.3", "--epochs", "1",
                 "--batch-size", "6", "--recipe", "sgd-cosine", "--out", str(tmp_path / "run"), "--no-progress",
                 "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["task"] == "embedding" and report["score"] == "auc"
    assert 0 <= report["best_score"] <= 100 and report["num_classes"] == 3
    code = main(["train", "mobilefacenet", "--data", str(faces), "--loss", "arcface", "--mixup", "0.2", "--out",
                 str(tmp_path / "x")])
    assert code == 2 and "--mixup: options of the cross-entropy loss" in capsys.readouterr().err
    code = main(["train", "mobilefacenet", "--data", str(faces), "--arcface-margin", "0.3", "--out",
                 str(tmp_path / "y")])
    assert code == 2 and "--arcface-margin: options of --loss arcface" in capsys.readouterr().err
    code = main(["train", "mobilefacenet", "--data", str(faces), "--loss", "arcface", "--arcface-margin", "2",
                 "--out", str(tmp_path / "z")])
    assert code == 2 and "the angular margin m must be" in capsys.readouterr().err
