"""Segmentation through the one training engine: a small LR-ASPP learns on pasted scenes, keeps its best checkpoint by
mIoU and reloads from it."""

from __future__ import annotations

import pytest
import torch

from lightnets.checkpoint import load_checkpoint
from lightnets.data import Preprocessing, make_pasted_scenes, open_segmentation_data
from lightnets.tasks.segmentation import create_segmentation_model
from lightnets.tasks.segmentation.task import SegmentationTask
from lightnets.training import TrainConfig, train

SIZE = 64
MEAN = STD = (0.5, 0.5, 0.5)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = make_pasted_scenes(tmp_path_factory.mktemp("scenes") / "pasted", train_images=16, val_images=8, size=SIZE)
    return open_segmentation_data(root, size=SIZE, mean=MEAN, std=STD)


def test_the_engine_trains_a_segmentation_model_and_keeps_it_by_miou(scenes, tmp_path):
    torch.manual_seed(0)
    model = create_segmentation_model("lraspp_mobilenet_v3_large", num_classes=len(scenes.classes), width=0.25)
    pre = Preprocessing(input_size=SIZE, mean=MEAN, std=STD, crop_pct=1.0)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=4, progress=False)
    result = train(model, scenes, pre, config, task=SegmentationTask(len(scenes.classes)), say=lambda _: None)
    assert result.score == "miou" and result.epochs_done == 2
    record = result.history[-1]
    assert {"val_miou", "val_pixel_acc", "val_loss", "train_loss"} <= record.keys() and "train_top1" not in record
    assert 0 <= record["val_miou"] <= 100 and record["val_loss"] > 0
    best = max(r["val_miou"] for r in result.history)
    assert result.best_score == best
    loaded, extra = load_checkpoint(result.best)
    assert loaded.config == model.config and extra["classes"] == scenes.classes
    assert extra["metrics"]["val_miou"] == best


def test_a_classifier_is_refused_by_the_segmentation_task(scenes, tmp_path):
    from lightnets.models import create_model

    pre = Preprocessing(input_size=SIZE, mean=MEAN, std=STD, crop_pct=1.0)
    config = TrainConfig(out_dir=tmp_path / "run", epochs=1, batch_size=4, progress=False)
    with pytest.raises(TypeError, match="needs a segmentation model"):
        train(create_model("mobilenet_v2", num_classes=len(scenes.classes)), scenes, pre, config,
              task=SegmentationTask(len(scenes.classes)), say=lambda _: None)
    wrong = create_segmentation_model("lraspp_mobilenet_v3_large", num_classes=3, width=0.25)
    with pytest.raises(ValueError, match="scores 3 classes per pixel but the data has 11"):
        train(wrong, scenes, pre, config, task=SegmentationTask(len(scenes.classes)), say=lambda _: None)
