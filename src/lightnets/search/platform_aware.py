"""A small platform-aware search (MnasNet, Tan et al. 2019, arXiv:1807.11626): architectures
sampled from a factorised space (:mod:`.space`), rejected by their latency as this machine's
lookup table predicts it before any training, the survivors trained briefly and ranked by
MnasNet's reward on their measured latency.

MnasNet trains an RNN controller by reinforcement learning over thousands of trials; here
the points are drawn at random (its baseline; a few tens of trials are what a CPU affords),
which keeps every trial independent: trial ``t`` draws from its own generator seeded by
the run's seed and ``t``, so a killed search goes on with the same architectures. Each
trial is trained with the training engine for ``epochs`` on the training images less a
held-out part (:func:`~lightnets.data.selection_split.selection_split`) and scored on that
part, never on the test set. ``search.json`` (rewritten atomically after each trial) holds
every trial, rejected ones included; each trained one keeps its run in ``trial_NNN/``.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import torch

from ..data import DataSplits, Preprocessing
from ..data.selection_split import selection_split
from ..io import atomic_write_text
from ..models import create_model
from ..training import TrainConfig, train
from .latency_table import LatencyProbe, LatencyTable
from .reward import REWARDS, mnas_reward
from .space import MobileNetV3Space, StageChoice

STATE, PLOT = "search.json", "search.png"


class BudgetError(ValueError):
    """The latency budget is below what the space's smallest architecture reaches."""


def trial_rng(seed: int, trial: int) -> random.Random:
    return random.Random(f"lightnets-search/{seed}/{trial}")


def search(space: MobileNetV3Space, *, budget_ms: float, trials: int, data: DataSplits, pre: Preprocessing,
           table: LatencyTable, out_dir: str | Path, epochs: int = 1, width: float = 1.0,
           small_input: bool = False, setting: str = "soft", batch_size: int = 64, lr: float | None = None,
           recipe: str = "sgd-cosine", held_out: float = 0.1, seed: int = 0, progress: bool = True,
           say: Callable[[str], None] = print) -> list[dict]:
    """Run ``trials`` trials (resuming those ``out_dir`` holds); every trial's record."""
    if isinstance(budget_ms, bool) or not isinstance(budget_ms, (int, float)) or not budget_ms > 0:
        raise ValueError(f"the latency budget must be a number of milliseconds > 0, got {budget_ms!r}")
    for name, value in (("trials", trials), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if setting not in REWARDS:
        raise ValueError(f"setting must be one of {', '.join(REWARDS)}, got {setting!r}")
    if table.identity["batch"] != 1:
        raise ValueError(f"the search times batch 1; the table given is for batch {table.identity['batch']}")
    backend, threads = table.identity["backend"], table.identity["threads"]
    resolution = pre.input_size
    out = Path(out_dir)
    settings = {"space": space.model_name, "budget_ms": budget_ms, "epochs": epochs, "width": width,
                "small_input": small_input, "setting": setting, "batch_size": batch_size, "lr": lr,
                "recipe": recipe, "held_out": held_out, "seed": seed, "backend": backend, "threads": threads,
                "resolution": resolution, "data": data.root}
    fit, held = selection_split(data.train, pre, held_out, seed)
    splits = DataSplits(fit, held, list(data.classes), source=f"{data.source}, {len(held)} held out", root=data.root)

    def build(choices: tuple[StageChoice, ...]):
        return create_model(space.model_name, width=width, small_input=small_input, num_classes=len(data.classes),
                            stages=space.stages(choices))

    latency = LatencyProbe(table, resolution)
    floor = latency.predict(build(space.smallest()))
    if budget_ms < floor:
        raise BudgetError(f"the budget {budget_ms:.3f} ms is below the floor of the {space.model_name} space: its "
                          f"smallest architecture (3x3, expansion 3, no SE, fewest layers) is predicted at "
                          f"{floor:.3f} ms on {backend}; give a budget of at least {floor:.3f} ms")
    state = out / STATE
    records: list[dict] = []
    if state.is_file():
        doc = json.loads(state.read_text())
        if doc.get("settings") != settings:
            raise ValueError(f"{out} holds a search with other settings ({doc.get('settings')}); continue it with "
                             "the same ones, or choose another --out")
        records = doc["trials"]
        say(f"continuing the search in {out}: {len(records)} trial(s) done")
    out.mkdir(parents=True, exist_ok=True)
    for t in range(len(records), trials):
        choices = space.sample(trial_rng(seed, t))
        torch.manual_seed(seed + t)
        model = build(choices)
        ms = latency.predict(model)
        record = {"trial": t, "choices": [asdict(c) for c in choices], "predicted_ms": ms,
                  "stages": model.config["stages"]}
        if ms > budget_ms:
            record |= {"status": "rejected", "top1": None, "latency_ms": None, "reward": None}
            say(f"trial {t}: predicted {ms:.3f} ms > budget {budget_ms:.3f} ms: rejected before training")
        else:
            config = TrainConfig(out / f"trial_{t:03d}", recipe=recipe, epochs=epochs, batch_size=batch_size, lr=lr,
                                 seed=seed, progress=progress)
            result = train(model, splits, pre, config, resume=(config.out_dir / "last.pth").is_file(),
                           say=lambda _: None)
            measured = latency.measure(model)
            record |= {"status": "trained", "top1": result.best_score, "latency_ms": measured,
                       "reward": mnas_reward(result.best_score, measured, budget_ms, setting),
                       "checkpoint": str(result.best)}
            say(f"trial {t}: predicted {ms:.3f} ms, measured {measured:.3f} ms; held-out top-1 "
                f"{result.best_score:.2f}%, reward {record['reward']:.2f}")
        records.append(record)
        atomic_write_text(state, json.dumps({"settings": settings, "floor_ms": floor, "trials": records},
                                            indent=1) + "\n")
    return records
