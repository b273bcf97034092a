"""Optimizer, parameter groups, schedule and EMA, each against a reference nobody here chose:
timm's TF-RMSProp, the TF update written out, torch's schedulers' closed forms, TF's EMA rule."""

import io
import math

import pytest
import torch
from timm.optim import RMSpropTF as TimmRMSpropTF
from torch import nn

from lightnets import create_model
from lightnets.training import RECIPES, RMSpropTF, get_recipe
from lightnets.training.ema import create_ema
from lightnets.training.optim import build_optimizer, build_scheduler, plan_schedule, scaled_lr
from lightnets.training.param_groups import is_depthwise, param_groups, split_decay


def test_unknown_recipe_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown recipe 'mobilenet_v2'.*did you mean mobilenet.*valid: mobilenet, "
                                         r"mobilenet-cosine, sgd-cosine"):
        get_recipe("mobilenet_v2")


def test_recipes_reject_impossible_values():
    from dataclasses import replace
    with pytest.raises(ValueError, match="recipe momentum must be in \\[0, 1\\), got 1.5"):
        replace(RECIPES["sgd-cosine"], momentum=1.5)
    with pytest.raises(ValueError, match="recipe decay must be one of exponential, cosine, got 'linear'"):
        replace(RECIPES["sgd-cosine"], decay="linear")


def test_rmsprop_tf_matches_timm_tf_rmsprop_with_a_changing_learning_rate():
    # float64: the two implementations order their float operations differently (timm's own
    # changes between releases move float32 results by an ulp), so compare where rounding is ~1e-16
    torch.manual_seed(0)
    ours_w = nn.Parameter(torch.randn(50, dtype=torch.float64))
    timm_w = nn.Parameter(ours_w.detach().clone())
    ours = RMSpropTF([ours_w], lr=0.1, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=1e-2)
    ref = TimmRMSpropTF([timm_w], lr=0.1, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=1e-2, lr_in_momentum=True)
    for step in range(20):
        grad = torch.randn(50, dtype=torch.float64)
        for opt, w in ((ours, ours_w), (ref, timm_w)):
            opt.param_groups[0]["lr"] = 0.1 * (step + 1) / 20
            w.grad = grad.clone()
            opt.step()
    torch.testing.assert_close(ours_w, timm_w, rtol=1e-12, atol=1e-14)


def test_rmsprop_tf_first_step_is_tensorflows_not_torchs():
    g, lr, eps = torch.tensor([0.5, -2.0]), 0.01, 1e-3
    w = nn.Parameter(torch.zeros(2))
    w.grad = g.clone()
    RMSpropTF([w], lr=lr, alpha=0.9, eps=eps, momentum=0.9).step()
    expected = -lr * g / torch.sqrt(0.9 * 1.0 + 0.1 * g**2 + eps)  # mean square starts at 1, eps inside the root
    torch.testing.assert_close(w.detach(), expected)
    v = nn.Parameter(torch.zeros(2))
    v.grad = g.clone()
    torch.optim.RMSprop([v], lr=lr, alpha=0.9, eps=eps, momentum=0.9).step()
    # torch's first step is lr * sqrt(10) ~ 3.16 lr whatever the gradient's size
    torch.testing.assert_close(v.detach().abs(), torch.full((2,), lr * math.sqrt(10)), rtol=1e-2, atol=0)


def test_no_weight_decay_on_depthwise_batchnorm_and_biases():
    model = create_model("mobilenet_v2", width=0.35, num_classes=10)
    split = split_decay(model)
    depthwise = [m.weight for m in model.modules() if is_depthwise(m)]
    assert len(depthwise) == 17  # one per inverted residual block in MobileNetV2's Table 2
    assert {id(p) for p in split.depthwise} == {id(p) for p in depthwise}
    norms = [p for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in (m.weight, m.bias)]
    assert {id(p) for p in split.norm} == {id(p) for p in norms}
    assert [id(p) for p in split.bias] == [id(model.head.fc.bias)]
    assert all(p.dim() > 1 for p in split.decay) and id(model.head.fc.weight) in {id(p) for p in split.decay}
    decayed, free = param_groups(model, 4e-5, True)
    assert (decayed["weight_decay"], free["weight_decay"]) == (4e-5, 0.0)
    assert len(decayed["params"]) + len(free["params"]) == len(list(model.parameters()))
    (everything,) = param_groups(model, 4e-5, False)
    assert len(everything["params"]) == len(list(model.parameters())) and everything["weight_decay"] == 4e-5


def lrs(recipe, iters_per_epoch, epochs, lr=1.0):
    opt = build_optimizer(nn.Linear(2, 2), recipe, lr)
    scheduler = build_scheduler(opt, recipe, plan_schedule(recipe, iters_per_epoch, epochs))
    out = []
    for _ in range(iters_per_epoch * epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return out


def test_warm_up_then_tf_staircase_exponential_decay():
    got = lrs(RECIPES["mobilenet"], iters_per_epoch=10, epochs=30)  # 5 warm-up epochs = 50 steps
    assert got[:50] == pytest.approx([(i + 1) / 51 for i in range(50)])
    decay = got[50:]
    for i, lr in enumerate(decay):  # 0.97 every 2.4 epochs = every 24 steps, counted from the peak
        assert lr == pytest.approx(0.97 ** (i // 24))


def test_warm_up_then_cosine_to_zero_and_warm_up_capped_on_short_runs():
    got = lrs(RECIPES["sgd-cosine"], iters_per_epoch=10, epochs=4)  # 40 steps: warm-up capped at 8
    assert got[:8] == pytest.approx([(i + 1) / 9 for i in range(8)])
    assert got[8:] == pytest.approx([0.5 * (1 + math.cos(math.pi * t / 32)) for t in range(32)])


def test_scheduler_state_survives_a_weights_only_round_trip():
    recipe = RECIPES["mobilenet-cosine"]
    model = nn.Linear(2, 2)
    opt = build_optimizer(model, recipe, 0.5)
    plan = plan_schedule(recipe, 10, 5)
    scheduler = build_scheduler(opt, recipe, plan)
    for _ in range(17):
        opt.step()
        scheduler.step()
    buffer = io.BytesIO()
    torch.save({"opt": opt.state_dict(), "sched": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    opt2 = build_optimizer(model, recipe, 0.5)
    scheduler2 = build_scheduler(opt2, recipe, plan)
    opt2.load_state_dict(saved["opt"])
    scheduler2.load_state_dict(saved["sched"])
    for _ in range(20):
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
        for o, s in ((opt, scheduler), (opt2, scheduler2)):
            o.step()
            s.step()


def test_learning_rate_scales_linearly_with_the_batch():
    assert scaled_lr(RECIPES["mobilenet"], 512) == pytest.approx(0.032)
    assert scaled_lr(RECIPES["sgd-cosine"], 64) == pytest.approx(0.025)


def test_ema_follows_tensorflows_warmed_up_decay_and_averages_buffers():
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
    ema = create_ema(model, decay=0.9999)
    values, ema_value = [1.0, 2.0, 4.0, 8.0], None
    for n, value in enumerate(values):
        with torch.no_grad():
            model[0].weight.fill_(value)
            model[1].running_mean.fill_(value)
        ema.update_parameters(model)
        decay = min(0.9999, (1 + n) / (10 + n))  # n updates so far; the first one copies
        ema_value = value if n == 0 else decay * ema_value + (1 - decay) * value
        assert ema.module[0].weight.item() == pytest.approx(ema_value)
        assert ema.module[1].running_mean.item() == pytest.approx(ema_value)
