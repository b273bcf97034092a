"""Every mistake gets a message that names it, and leaves no files behind."""

import pytest
import torch
from tiny_training import brightness_splits, tiny_model

from lightnets import create_model
from lightnets.checkpoint import load_checkpoint
from lightnets.io import CheckpointError, load_file
from lightnets.training import LAST, NonFiniteLoss, TrainConfig, train


def assert_no_files(path):
    assert not path.exists() or not any(path.iterdir()), sorted(p.name for p in path.iterdir())


@pytest.mark.parametrize("field, value, message", [
    ("recipe", "adamw", r"unknown recipe 'adamw'.*valid: mobilenet, mobilenet-cosine, sgd-cosine"),
    ("epochs", 0, "epochs must be an integer >= 1, got 0"),
    ("batch_size", 2.5, "batch_size must be an integer >= 1, got 2.5"),
    ("lr", -1.0, r"lr must be a number > 0 \(or None\), got -1.0"),
    ("device", "tpu", "device must be one of auto, cpu, cuda, got 'tpu'"),
])
def test_bad_settings_are_named(tmp_path, field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(out_dir=tmp_path / "run", **{field: value})
    assert_no_files(tmp_path)


def test_batch_larger_than_the_training_set(splits, pre, model, config):
    with pytest.raises(ValueError, match="batch size 512 is larger than the 256 training images; use a batch size "
                                         "of at most 256"):
        train(model, splits, pre, config(batch_size=512))
    assert_no_files(config().out_dir)


def test_model_and_data_disagree_on_classes(splits, pre, config):
    with pytest.raises(ValueError, match=r"the model has 5 outputs but the data has 2 classes.*reset_classifier\(2\)"):
        train(create_model("mobilenet_v3_small", width=0.25, num_classes=5), splits, pre, config())
    assert_no_files(config().out_dir)


def test_resume_without_a_checkpoint(splits, pre, model, config):
    with pytest.raises(CheckpointError, match=r"nothing to resume: .*run/last.pth does not exist"):
        train(model, splits, pre, config(), resume=True)
    assert_no_files(config().out_dir)


def test_resume_from_another_model_or_other_settings_names_the_difference(splits, pre, model, config):
    train(model, splits, pre, config(epochs=1))
    before = sorted((p.name, p.stat().st_mtime_ns) for p in config().out_dir.iterdir())
    other = create_model("mobilenet_v3_small_minimal", width=0.25, num_classes=2, drop_rate=0.0)
    with pytest.raises(CheckpointError, match=r"is from another run, it differs in: "
                                              r"model.name 'mobilenet_v3_small' vs 'mobilenet_v3_small_minimal'"):
        train(other, splits, pre, config(epochs=1), resume=True)
    with pytest.raises(CheckpointError, match=r"run.batch_size 16 vs 32; run.epochs 1 vs 3"):
        train(tiny_model(), splits, pre, config(epochs=3, batch_size=32), resume=True)
    with pytest.raises(CheckpointError, match=r"run.recipe.name 'mobilenet' vs 'sgd-cosine'"):
        train(tiny_model(), splits, pre, config(epochs=1, recipe="sgd-cosine"), resume=True)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in config().out_dir.iterdir()) == before


def test_a_new_run_never_overwrites_an_old_one(splits, pre, model, config):
    train(model, splits, pre, config(epochs=1))
    with pytest.raises(CheckpointError, match="already holds a run .*--resume"):
        train(tiny_model(), splits, pre, config(epochs=1))


def test_nan_loss_stops_the_run_naming_epoch_and_step_and_keeps_the_last_good_checkpoint(pre, model, config):
    poisoned = brightness_splits(poison_after=256)  # every image after the first epoch's 256 is NaN
    with pytest.raises(NonFiniteLoss, match=r"the loss is nan at epoch 2, step 1/16 .*run/last.pth keeps the last "
                                            r"good state \(epoch 1\)"):
        train(model, poisoned, pre, config(epochs=3))
    assert load_file(config().out_dir / LAST)["training"]["epoch"] == 1
    saved, _ = load_checkpoint(config().out_dir / LAST)
    assert all(torch.isfinite(t).all() for t in saved.state_dict().values() if t.is_floating_point())


def test_a_diverging_learning_rate_stops_with_a_message_and_no_bad_checkpoint(splits, pre, model, config):
    with pytest.raises(NonFiniteLoss, match=r"at epoch 1, step \d+/16 .*no epoch completed, so no checkpoint was "
                                            r"written.*Lower the learning rate"):
        train(model, splits, pre, config(recipe="sgd-cosine", lr=1e12, epochs=1))
    assert_no_files(config().out_dir)
