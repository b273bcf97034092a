"""The platform-aware search (lightnets/search/space.py, platform_aware.py, `lightnets
search`): the space's points are ordinary MobileNetV3s, trials over the budget are rejected
before training, the rest ranked by the reward, and a killed search continues.

Latency is the network's multiply-adds (1 ms per million, conftest.py)."""

import json
import random

import pytest
import torch

from lightnets import create_model, profile
from lightnets.checkpoint import load_model, save_model
from lightnets.cli import main
from lightnets.search import mnas_reward
from lightnets.search import platform_aware as pa
from lightnets.search.space import KERNELS, MobileNetV3Space, StageChoice, get_space


pytestmark = pytest.mark.usefixtures("macs_latency")  # tests/search/conftest.py


def test_the_space_is_the_table_around_its_choices():
    space = MobileNetV3Space("large")
    assert list(space.searched) == [1, 2, 3, 4, 5] and space.layer_choices(1) == (1, 2, 3)
    assert space.size_of_space() == (3 * 3 * 2 * 3) ** 5
    # the last stage at 7x7, expansion ratio 6 (of each layer's input), SE, 2 layers; stride and NL the table's
    choices = (StageChoice(3, 3, False, 2), StageChoice(5, 3, True, 3), StageChoice(3, 6, False, 4),
               StageChoice(3, 6, True, 2), StageChoice(7, 6, True, 2))
    stages = space.stages(choices)
    assert stages[0] == [{"k": 3, "exp": 16, "c": 16, "se": False, "nl": "relu", "s": 1}]
    assert stages[5] == [{"k": 7, "exp": 6 * 112, "c": 160, "se": True, "nl": "hard_swish", "s": 2},
                         {"k": 7, "exp": 6 * 160, "c": 160, "se": True, "nl": "hard_swish", "s": 1}]
    model = create_model("mobilenet_v3_large", num_classes=10, stages=stages)
    assert [len(stage) for stage in model.stages] == [1, 2, 3, 4, 2, 2]
    assert model.stages[5][0].dw.conv.kernel_size == (7, 7) and model.stages[5][0].se is not None
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 10)


def test_a_searched_network_saves_reloads_and_prints_its_own_table(tmp_path):
    from lightnets.models.mobilenet_v3 import mobilenet_v3_table

    space = get_space("mobilenet_v3_small")
    stages = space.stages(space.sample(random.Random(0)))
    model = create_model("mobilenet_v3_small", num_classes=10, stages=stages)
    again = load_model(save_model(model, tmp_path / "m.pth"))
    assert again.config["stages"] == model.config["stages"] and repr(again) == repr(model)
    table = mobilenet_v3_table(model)
    assert table.source.startswith("MobileNetV3-Small with searched stages")
    bnecks = [row.cells for row in table.rows if row.cells[0].startswith("bneck")]
    assert [cells[0] for cells in bnecks] == [f"bneck, {r['k']}x{r['k']}" for stage in stages for r in stage]


def test_the_smallest_point_does_the_least_work():
    space = get_space("mobilenet_v3_small")
    smallest = profile(create_model(space.model_name, stages=space.stages(space.smallest())), 64).macs
    rng = random.Random(1)
    assert all(smallest <= profile(create_model(space.model_name, stages=space.stages(space.sample(rng))), 64).macs
               for _ in range(5))
    assert all(c.kernel == KERNELS[0] and not c.se for c in space.smallest())


def test_bad_stages_are_refused():
    with pytest.raises(ValueError, match=r"stages\[0\]\[0\] must be a dict of c, exp, k, nl, s, se"):
        create_model("mobilenet_v3_small", stages=[[{"k": 3}]])
    with pytest.raises(ValueError, match="k must be an odd integer"):
        create_model("mobilenet_v3_small", stages=[[{"k": 4, "exp": 16, "c": 16, "se": False, "nl": "relu", "s": 2}]])
    with pytest.raises(ValueError, match="unknown search space"):
        get_space("resnet")


ARGS = ["search", "--space", "mobilenet_v3_small", "--data", "sample", "--resolution", "32", "--width", "0.25",
        "--epochs", "1", "--batch-size", "64", "--held-out", "0.02", "--backend", "eager", "--no-progress"]


def test_search_rejects_over_budget_trains_the_rest_and_continues(tmp_path, capsys, monkeypatch):
    space = get_space("mobilenet_v3_small")
    costs = [profile(create_model(space.model_name, width=0.25, num_classes=10,
                                  stages=space.stages(space.sample(pa.trial_rng(0, t)))), 32).macs / 1e6
             for t in range(4)]
    budget = sorted(costs)[1] + 1e-6  # two of the four trials are over it
    out = tmp_path / "s"
    argv = [*ARGS, "--budget-ms", str(budget), "--trials", "2", "--out", str(out), "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    trained = []
    real_train = pa.train
    monkeypatch.setattr(pa, "train", lambda *a, **kw: trained.append(a[3].out_dir) or real_train(*a, **kw))
    argv[argv.index("--trials") + 1] = "4"
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    by_trial = {r["trial"]: r for r in doc["trials"]}
    assert sorted(by_trial) == [0, 1, 2, 3]
    assert [by_trial[t]["predicted_ms"] for t in range(4)] == pytest.approx(costs)
    for t in range(4):
        r = by_trial[t]
        assert r["status"] == ("rejected" if costs[t] > budget else "trained")
        if r["status"] == "trained":
            assert r["reward"] == pytest.approx(mnas_reward(r["top1"], r["latency_ms"], budget, "soft"))
    # the continued search trained only the new trials that met the budget
    assert trained == [out / f"trial_{t:03d}" for t in (2, 3) if costs[t] <= budget]
    assert {r["trial"] for r in first["trials"]} == {0, 1}
    rewards = [r["reward"] for r in doc["trials"] if r["reward"] is not None]
    assert rewards == sorted(rewards, reverse=True) and doc["trials"][-1]["status"] == "rejected"
    assert doc["plot"] == str(out / "search.png") and doc["trained"] == 2


def test_a_budget_below_the_spaces_floor_names_it(tmp_path, capsys):
    assert main([*ARGS, "--budget-ms", "0.001", "--trials", "1", "--out", str(tmp_path / "s")]) == 2
    assert "below the floor of the mobilenet_v3_small space" in capsys.readouterr().err
    too_small = [*ARGS, "--budget-ms", "1", "--out", str(tmp_path / "t")]
    too_small[too_small.index("--resolution") + 1] = "16"
    assert main(too_small) == 2
    assert "--resolution 16 is smaller than mobilenet_v3_small's total stride 32" in capsys.readouterr().err
