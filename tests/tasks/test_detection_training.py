"""Detection through the one training engine: a small SSDLite learns on pasted scenes, keeps its best checkpoint by
COCO mAP, and its checkpoint rebuilds it; the task refuses a model that does not fit the data."""

from __future__ import annotations

import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lightnets.checkpoint import load_checkpoint
from lightnets.data import Preprocessing, make_pasted_scenes, open_detection_data
from lightnets.tasks.detection import create_detection_model
from lightnets.tasks.detection.task import DetectionTask, coco_map, gather_records
from lightnets.training import TrainConfig, train

SIZE = 64
MEAN = STD = (0.5, 0.5, 0.5)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = make_pasted_scenes(tmp_path_factory.mktemp("scenes") / "pasted", train_images=8, val_images=4, size=SIZE)
    return open_detection_data(root, size=SIZE, mean=MEAN, std=STD)


def test_the_engine_trains_a_detection_model_and_keeps_it_by_map(scenes, tmp_path):
    torch.manual_seed(0)
    assert scenes.classes[0] == "background"
    model = create_detection_model("ssdlite320_mobilenet_v3_large", num_classes=len(scenes.classes), width=0.25)
    pre = Preprocessing(input_size=SIZE, mean=MEAN, std=STD, crop_pct=1.0)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="sgd-cosine", epochs=2, batch_size=4, progress=False)
    result = train(model, scenes, pre, config, task=DetectionTask(len(scenes.classes)), say=lambda _: None)
    assert result.score == "map" and result.epochs_done == 2
    record = result.history[-1]
    assert {"val_map", "val_map50", "val_loss", "train_loss"} <= record.keys() and "train_top1" not in record
    assert math.isfinite(record["train_loss"]) and record["val_loss"] > 0
    assert 0 <= record["val_map"] <= record["val_map50"] <= 100
    best = max(r["val_map"] for r in result.history)
    assert result.best_score == best
    loaded, extra = load_checkpoint(result.best)
    assert loaded.config == model.config and extra["classes"] == scenes.classes
    assert extra["metrics"]["val_map"] == best
    images, _ = next(iter(torch.utils.data.DataLoader(scenes.val, batch_size=2, collate_fn=DetectionTask.collate)))
    with torch.no_grad():
        assert loaded(images)[0].shape == (2, 144, len(scenes.classes))  # 6 * (4^2 + 2^2 + 1 + 1 + 1 + 1) boxes


def test_a_model_that_does_not_fit_the_data_is_refused(scenes, tmp_path):
    from lightnets.models import create_model

    pre = Preprocessing(input_size=SIZE, mean=MEAN, std=STD, crop_pct=1.0)
    config = TrainConfig(out_dir=tmp_path / "run", epochs=1, batch_size=4, progress=False)
    wrong = create_detection_model("ssdlite320_mobilenet_v3_large", num_classes=10, width=0.25)
    with pytest.raises(ValueError, match=r"scores 10 classes \(background included\) but the data has 11"):
        train(wrong, scenes, pre, config, task=DetectionTask(10), say=lambda _: None)
    classifier = create_model("mobilenet_v2", num_classes=len(scenes.classes))
    with pytest.raises(TypeError, match="needs a detection model"):
        train(classifier, scenes, pre, config, task=DetectionTask(len(scenes.classes)), say=lambda _: None)


TARGET = {"boxes": [[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 40.0, 40.0]], "labels": [1, 2]}
FOUND = {"perfect": {"boxes": TARGET["boxes"], "scores": [0.9, 0.8], "labels": [1, 2]},
         "shifted": {"boxes": [[0.0, 0.0, 10.0, 10.0], [30.0, 20.0, 50.0, 40.0]], "scores": [0.9, 0.8],
                     "labels": [1, 2]}}


def test_map_of_perfect_and_of_shifted_detections():
    """One image, two boxes of classes 1 and 2: detections equal to the boxes score 1; one detection shifted to
    IoU 1/3 with its box scores AP 0 for that class, so both APs halve (class 1 perfect, class 2 missed)."""
    assert coco_map([((64, 64), TARGET, FOUND["perfect"])], 3) == pytest.approx((1.0, 1.0))
    assert coco_map([((64, 64), TARGET, FOUND["shifted"])], 3) == pytest.approx((0.5, 0.5))
    assert coco_map([((64, 64), TARGET, {"boxes": [], "scores": [], "labels": []})], 3) == (0.0, 0.0)
    with pytest.raises(ValueError, match="the validation targets have no box"):
        coco_map([((64, 64), {"boxes": [], "labels": []}, FOUND["perfect"])], 3)


def _score_shard(rank: int, store: str, results: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    shard = [((64, 64), TARGET, FOUND["perfect" if rank == 0 else "shifted"])]
    torch.save(torch.tensor(coco_map(gather_records(shard), 3)), f"{results}.{rank}")
    dist.destroy_process_group()


def test_ranks_score_the_detections_of_all_ranks(tmp_path):
    """Rank 0 holds a perfect image, rank 1 a half-missed one: both score the two images together, not their own."""
    mp.spawn(_score_shard, args=(str(tmp_path / "store"), str(tmp_path / "map")), nprocs=2)
    together = coco_map([((64, 64), TARGET, FOUND["perfect"]), ((64, 64), TARGET, FOUND["shifted"])], 3)
    assert together[0] < 1.0
    for rank in (0, 1):
        assert torch.load(tmp_path / f"map.{rank}", weights_only=True).tolist() == pytest.approx(list(together))
