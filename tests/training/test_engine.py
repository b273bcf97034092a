"""The engine end to end on a tiny learnable problem: it learns, and it writes what it says."""

import json
import math

import pytest
import torch
from tiny_training import brightness_splits, tiny_model
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader

from lightnets.checkpoint import load_checkpoint
from lightnets.io import CheckpointError, load_file
from lightnets.training import BEST, LAST, evaluate, train


def test_a_run_learns_and_writes_checkpoints_logs_and_curves(splits, pre, model, config):
    lines = []
    result = train(model, splits, pre, config(epochs=4), say=lines.append)

    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    assert result.history[0]["val_top1"] == pytest.approx(50, abs=10)  # chance at the start
    assert result.best_score >= 90  # the classes differ in brightness: a learner separates them
    assert any("none on depthwise conv weights" in line for line in lines)

    out = result.out_dir
    assert sorted(p.name for p in out.iterdir()) == sorted([LAST, BEST, "metrics.jsonl", "metrics.csv", "curves.png"])
    assert [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()] == result.history
    csv_lines = (out / "metrics.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[:3] == ["epoch", "lr", "train_loss"] and len(csv_lines) == 5
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    best, extra = load_checkpoint(out / BEST)
    assert extra["classes"] == splits.classes and extra["preprocessing"] == pre.to_dict()
    assert extra["metrics"]["epoch"] == result.best_epoch and "training" not in extra
    val = evaluate(best, DataLoader(splits.val, batch_size=16), 2)
    assert val.top1 == pytest.approx(result.best_score)  # best.pth is the model that scored best


def test_last_checkpoint_holds_the_ema_as_model_and_the_resume_state(splits, pre, model, config):
    train(model, splits, pre, config())
    raw = load_file(config().out_dir / LAST)
    training = raw["training"]
    assert training["epoch"] == 2 and len(training["history"]) == 2
    assert training["ema_updates"] == 2 * len(splits.train) // 16
    assert set(training) >= {"optimizer", "scheduler", "best_score", "run", "model"}
    trained, averaged = training["model"], raw["state_dict"]
    assert trained.keys() == averaged.keys()
    assert not torch.equal(trained["head.fc.weight"], averaged["head.fc.weight"])  # the EMA is what is saved
    assert torch.equal(trained["head.fc.weight"], model.state_dict()["head.fc.weight"])


def test_without_ema_the_trained_weights_are_saved_once(splits, pre, model, config):
    train(model, splits, pre, config(recipe="sgd-cosine"))
    raw = load_file(config().out_dir / LAST)
    assert raw["training"]["model"] is None and raw["training"]["ema_updates"] is None
    assert torch.equal(raw["state_dict"]["head.fc.weight"], model.state_dict()["head.fc.weight"])


def test_frozen_batchnorm_keeps_its_running_statistics(splits, pre, model, config):
    state = model.state_dict()
    running = {k: v.clone() for k, v in state.items() if "running" in k}
    affine = {k: state[k].clone() for k, m in model.named_modules() if isinstance(m, _BatchNorm)
              for k in (f"{k}.weight", f"{k}.bias")}
    train(model, splits, pre, config(epochs=1, freeze_bn=True))
    after = model.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in running.items())
    assert any(not torch.equal(v, after[k]) for k, v in affine.items())  # scale and shift still learn


def test_mixup_and_cutmix_train_with_soft_labels(splits, pre, model, config):
    result = train(model, splits, pre, config(epochs=1, mixup_alpha=0.2, cutmix_alpha=1.0))
    assert math.isfinite(result.history[0]["train_loss"])


def test_a_time_budget_stops_between_epochs_and_the_run_resumes(splits, pre, config):
    stopped = train(tiny_model(), splits, pre, config(epochs=3, max_minutes=1e-6))
    assert stopped.epochs_done == 1 and "time budget" in stopped.stopped_early
    resumed = train(tiny_model(seed=1), splits, pre, config(epochs=3), resume=True)
    assert resumed.epochs_done == 3 and resumed.stopped_early is None

    whole = train(tiny_model(), splits, pre, config(epochs=3, out_dir=config().out_dir.parent / "whole"))
    assert resumed.history[-1]["val_loss"] == whole.history[-1]["val_loss"]
    a, b = load_file(resumed.last)["state_dict"], load_file(whole.last)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_threads_setting_is_restored_after_the_run(splits, pre, model, config):
    before = torch.get_num_threads()
    train(model, splits, pre, config(epochs=1, threads=1))
    assert torch.get_num_threads() == before


def test_resuming_a_finished_run_trains_nothing_more(splits, pre, model, config):
    first = train(model, splits, pre, config(epochs=1))
    again = train(tiny_model(), brightness_splits(), pre, config(epochs=1), resume=True)
    assert again.history == first.history and again.best_score == first.best_score
    with pytest.raises(CheckpointError, match=r"last.pth is a finished run of 1 epochs; resuming continues an "
                       r"interrupted run and cannot lengthen a finished one .* --init-from .*run/best.pth"):
        train(tiny_model(), brightness_splits(), pre, config(epochs=3), resume=True)


def test_both_the_ema_and_the_weights_are_validated_and_the_better_is_kept(splits, pre, model, config):
    lines = []
    result = train(model, splits, pre, config(epochs=2, lr=0.02), say=lines.append)
    first, second = result.history
    for record in result.history:
        assert record["val_top1"] == max(record["val_top1_ema"], record["val_top1_raw"])
        assert record["kept"] == ("ema" if record["val_top1_ema"] >= record["val_top1_raw"] else "raw")
    # after 16 steps both still predict one class (BatchNorm's running statistics lag), and a note says why
    assert first["val_top1"] == 50 and first["val_loss"] == pytest.approx(math.log(2), rel=0.01)
    assert any(line.startswith("note: validation scores at chance (50.0%, loss ln(2)) while training reaches")
               for line in lines)
    assert second["val_top1"] >= 90  # after 32 steps they have caught up
    best, _ = load_checkpoint(result.best)
    assert evaluate(best, DataLoader(splits.val, batch_size=16), 2).top1 == second["val_top1"]


def test_a_run_is_bit_for_bit_repeatable_for_a_fixed_seed_and_thread_count(splits, pre, config, tmp_path):
    runs = []
    for name in ("a", "b"):
        model = tiny_model()
        train(model, splits, pre, config(out_dir=tmp_path / name, recipe="sgd-cosine", epochs=1, threads=1))
        runs.append(model.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def test_aux_heads_learn_through_their_weighted_loss(splits, pre, config):
    """A model built with an aux head trains on logits + aux_weight x aux loss: the aux
    classifier, which only that loss reaches, learns too; eval scores the main head."""
    from lightnets.layers import ConvNormAct
    from lightnets.models import AuxHead, ClassifierHead, LightNet, StageStack

    torch.manual_seed(0)
    body = StageStack(8, stride=2)
    for s in (2, 2):
        body.add(ConvNormAct(body.chs, 16, 3, s), 16, s)
        body.end_stage()
    aux = {0: AuxHead(ClassifierHead(8, 2), [ConvNormAct(16, 8, 1)], pool_kernel=3, pool_stride=2)}
    model = LightNet(ConvNormAct(3, 8, 3, stride=2), body, ClassifierHead(16, 2), in_chans=3, init="kaiming_fan_out",
                     aux_heads=aux, aux_weight=0.4)
    model.config["name"] = "tiny_aux"  # a family builder would record it (models.builder.model_builder)
    before = model.aux_heads[0].fc.weight.detach().clone()
    result = train(model, splits, pre, config(epochs=3), say=lambda line: None)
    assert result.best_score >= 90
    assert not torch.equal(model.aux_heads[0].fc.weight.detach(), before)
    assert model.aux_weight == 0.4


def test_head_only_trains_the_classifier_alone(splits, pre, model, config):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train(model, splits, pre, config(epochs=1, recipe="sgd-cosine", head_only=True))
    after = model.state_dict()
    changed = {k for k, v in before.items() if not torch.equal(v, after[k])}
    assert changed == {"head.fc.weight", "head.fc.bias"}


def test_channels_last_trains_to_the_same_weights_as_the_default_layout(splits, pre, config, tmp_path):
    runs = []
    for nhwc in (False, True):
        model = tiny_model()
        result = train(model, splits, pre, config(out_dir=tmp_path / str(nhwc), epochs=1, channels_last=nhwc))
        runs.append((model, result))
    (plain, a), (nhwc, b) = runs
    assert nhwc.stem.conv.weight.is_contiguous(memory_format=torch.channels_last)
    for (k, v), w in zip(plain.state_dict().items(), nhwc.state_dict().values()):
        assert torch.allclose(v, w, rtol=1e-3, atol=1e-4), k  # the same run, summed in another order
    assert abs(a.history[0]["val_top1"] - b.history[0]["val_top1"]) <= 100 / 64


def test_compile_trains_through_torch_compile(splits, pre, model, config, monkeypatch):
    compiled = []

    def fake_compile(module, **kwargs):  # inductor takes minutes on two cores: record the call instead
        compiled.append(module)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    train(model, splits, pre, config(epochs=1, compile=True))
    assert compiled == [model]


def test_bf16_runs_the_forward_in_bfloat16_and_keeps_fp32_weights(splits, pre, model, config):
    seen = []
    hook = model.stem.conv.register_forward_hook(lambda m, args, out: seen.append((m.training, out.dtype)))
    result = train(model, splits, pre, config(epochs=1, recipe="sgd-cosine", bf16=True))
    hook.remove()
    assert {dtype for training, dtype in seen if training} == {torch.bfloat16}
    assert {dtype for training, dtype in seen if not training} == {torch.float32}  # validation stays fp32
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert math.isfinite(result.history[0]["train_loss"])
    with pytest.raises(ValueError, match="bf16 must be True or False, got 1"):
        config(bf16=1)


def test_flip_averaging_scores_the_mean_of_the_image_and_its_mirror(splits, model):
    model.eval()
    loader = DataLoader(splits.val, batch_size=32)
    plain = evaluate(model, loader, 2)
    flipped = evaluate(model, loader, 2, hflip=True)
    x = torch.stack([splits.val[i][0] for i in range(len(splits.val))])
    y = torch.tensor([splits.val[i][1] for i in range(len(splits.val))])
    with torch.no_grad():
        logits = (model(x) + model(x.flip(-1))) / 2
    assert flipped.top1 == pytest.approx(100 * (logits.argmax(1) == y).float().mean().item())
    assert plain.images == flipped.images == len(splits.val)
    with pytest.raises(ValueError, match="hflip must be True or False"):
        evaluate(model, loader, 2, hflip=1)
