"""`lightnets train / eval / predict` for a segmentation model: the classification commands, the task's data, loss,
score and drawn output."""

import contextlib
import io
import json

import pytest
from PIL import Image

from lightnets.cli import main
from lightnets.data import make_pasted_scenes

SIZE = 64


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_pasted_scenes(tmp_path_factory.mktemp("scenes") / "pasted", train_images=8, val_images=4, size=SIZE)


@pytest.fixture(scope="module")
def trained(scenes, tmp_path_factory):
    """One epoch of a small LR-ASPP through `lightnets train --json`, and what it printed."""
    out = tmp_path_factory.mktemp("run") / "seg"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(["train", "lraspp_mobilenet_v3_large", "--width", "0.25", "--data", str(scenes), "--epochs", "1",
                     "--resolution", str(SIZE), "--batch-size", "4", "--recipe", "sgd-cosine", "--out", str(out), "--no-progress", "--json"])
    assert code == 0
    return json.loads(stdout.getvalue()), out


def test_train_runs_the_segmentation_task_on_its_data(trained):
    report, out = trained
    assert report["task"] == "segmentation" and report["score"] == "miou" and report["resolution"] == SIZE
    assert report["classes"][0] == "background" and report["num_classes"] == len(report["classes"])
    assert report["preprocessing"]["crop_pct"] == 1.0 and (out / "best.pth").is_file() and (out / "curves.png").is_file()
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["val_miou"] == pytest.approx(report["best_score"])


def test_eval_scores_the_checkpoint_as_training_did(capsys, trained, scenes):
    report, out = trained
    code, stdout, _ = run(capsys, "eval", str(out / "best.pth"), "--data", str(scenes), "--json")
    result = json.loads(stdout)
    assert code == 0 and result["task"] == "segmentation" and result["images"] == 4
    assert result["miou"] == pytest.approx(report["best_score"], abs=1e-6) and 0 <= result["pixel_acc"] <= 100


def test_predict_draws_the_mask_on_each_image_at_its_own_size(capsys, trained, scenes, tmp_path):
    _, out = trained
    image = sorted((scenes / "JPEGImages").glob("*.jpg"))[0]
    Image.open(image).resize((90, 70)).save(tmp_path / "wide.png")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    code, stdout, err = run(capsys, "predict", str(out / "best.pth"), str(tmp_path / "wide.png"), str(broken),
                            "--out", str(tmp_path / "drawn"), "--json")
    result = json.loads(stdout)
    assert code == 0 and result["predicted"] == 1 and "cannot read image" in err
    drawn = result["results"][0]
    assert Image.open(drawn["drawn"]).size == (90, 70)
    assert all(c["label"] != "background" and 0 < c["pixel_share"] <= 1 for c in drawn["classes"])


def test_classification_options_are_refused_for_a_dense_model(capsys, scenes, tmp_path):
    code, _, err = run(capsys, "train", "lraspp_mobilenet_v3_large", "--data", str(scenes), "--mixup", "0.2",
                       "--out", str(tmp_path / "x"))
    assert code == 2 and "--mixup: classification options" in err and "segmentation model" in err
    code, _, err = run(capsys, "train", "deeplabv3_mobilenet_v2", "--data", str(scenes), "--model-kwargs",
                       "stride=8", "--out", str(tmp_path / "y"))
    assert code == 2 and "no variant option 'stride'" in err and "output_stride=16" in err


def test_model_kwargs_reach_a_dense_builder(capsys, trained, scenes, tmp_path):
    code, stdout, _ = run(capsys, "train", "deeplabv3_mobilenet_v2", "--width", "0.35", "--model-kwargs",
                          "output_stride=8", "aspp=false", "--data", str(scenes), "--epochs", "1", "--batch-size", "8",
                          "--resolution", str(SIZE),
                          "--out", str(tmp_path / "os8"), "--no-progress", "--json")
    report = json.loads(stdout)
    assert code == 0 and report["model_kwargs"] == {"output_stride": 8, "aspp": False}


def test_a_dense_model_on_any_backbone_starts_from_a_classifier_checkpoint(capsys, scenes, tmp_path):
    from lightnets.checkpoint import save_model
    from lightnets.models import create_model

    save_model(create_model("resnet18", width=0.25, num_classes=10), tmp_path / "resnet18.pth")
    code, stdout, err = run(capsys, "train", "lraspp", "--width", "0.25", "--model-kwargs", "backbone=resnet18",
                            "--init-from", str(tmp_path / "resnet18.pth"), "--data", str(scenes), "--epochs", "1",
                            "--batch-size", "8", "--resolution", str(SIZE), "--out", str(tmp_path / "run"),
                            "--no-progress", "--json")
    assert code == 0 and json.loads(stdout)["model_kwargs"] == {"backbone": "resnet18"}
    assert "backbone: 120 tensors of resnet18 copied (not read: head), initialised from lightnets checkpoint" in err
    code, _, err = run(capsys, "train", "lraspp", "--model-kwargs", "backbone=resnet18", "--init-from",
                       str(tmp_path / "resnet18.pth"), "--data", str(scenes), "--epochs", "1", "--resolution",
                       str(SIZE), "--out", str(tmp_path / "wide"), "--no-progress")
    assert code == 2 and "does not fit lraspp's backbone (from the resnet18 classifier): wrong shape (" in err
    code, _, err = run(capsys, "train", "lraspp", "--init-arch", "resnet18", "--data", str(scenes), "--out",
                       str(tmp_path / "no"), "--no-progress")
    assert code == 2 and "describe --init-from, which is not given" in err
