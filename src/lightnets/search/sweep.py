"""Multiplier sweeps: MobileNetV1's Figures 4-5 (accuracy against cost over width and
resolution multipliers), with the latency measured on this machine's backend instead of MACs.

Each point (a width multiplier and an input resolution) is trained with the training engine
(from scratch, or fine-tuned from a checkpoint at that checkpoint's width) in a folder of
its own, scored on the data's validation split and timed whole on the backend (batch 1).
``sweep.json`` holds every finished point and is rewritten atomically after each,
so a killed sweep goes on where it stopped: finished points are kept, the point in progress
resumes from its ``last.pth``. The Pareto front (:func:`~.reward.pareto_front`) marks the
points no other beats on both latency and accuracy; with a target, MnasNet's reward ranks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..analysis import profile
from ..bench.backends import compare_backends
from ..checkpoint import load_model
from ..data import Preprocessing, open_data
from ..io import atomic_write_text
from ..models import create_model
from ..training import TrainConfig, fit_classifier, load_pretrained, train
from .pareto_plot import plot_front

STATE, PLOT = "sweep.json", "sweep.png"


@dataclass(frozen=True)
class SweepPoint:
    width: float
    resolution: int

    @property
    def folder(self) -> str:
        return f"w{self.width:g}-r{self.resolution}"


def plot_sweep(path: Path, rows: list[dict], title: str) -> Path:
    """Top-1 against measured latency, a point per sweep point, the Pareto front joined."""
    return plot_front(path, [{**r, "label": f"{r['width']:g} @ {r['resolution']}"} for r in rows], title)


def sweep(model_name: str, points: list[SweepPoint], data_root: str, out_dir: Path, *, epochs: int,
          backend: str = "ort-fp32", threads: int = 1, recipe: str = "sgd-cosine", batch_size: int = 64,
          lr: float | None = None, seed: int = 0, model_kwargs: dict | None = None, init_from: str | None = None,
          progress: bool = True, say: Callable[[str], None] = print) -> list[dict]:
    """Train, score and time each point, resumably; the rows in ``points``' order.

    ``init_from`` (a lightnets checkpoint of ``model_name``) fine-tunes every point from its
    weights instead of training from scratch; they fit its own width only, so every point
    must have that width (a resolution sweep of a trained model)."""
    if not points:
        raise ValueError("a sweep needs at least one width and one resolution")
    out_dir = Path(out_dir)
    if init_from is not None:
        source, _ = load_pretrained(init_from, model_name)
        other = sorted({p.width for p in points} - {source.config["width"]})
        if other:
            raise ValueError(f"{init_from} holds {model_name} width {source.config['width']:g}, whose weights fit "
                             f"no other width ({', '.join(f'{w:g}' for w in other)}); sweep widths from scratch "
                             "(without --init-from), or resolutions at its width")
    settings = {"model": model_name, "epochs": epochs, "backend": backend, "threads": threads, "recipe": recipe,
                "batch_size": batch_size, "lr": lr, "seed": seed, "model_kwargs": model_kwargs or {},
                "data": data_root, "init_from": None if init_from is None else str(init_from)}
    state_path = out_dir / STATE
    done: dict[str, dict] = {}
    if state_path.is_file():
        doc = json.loads(state_path.read_text())
        if doc.get("settings") != settings:
            raise ValueError(f"{out_dir} holds a sweep with other settings ({doc.get('settings')}); continue it "
                             "with the same model, epochs, backend, threads, recipe and data, or choose another --out")
        done = {r["folder"]: r for r in doc["rows"]}
        say(f"continuing the sweep in {out_dir}: {len(done)} point(s) done")
    out_dir.mkdir(parents=True, exist_ok=True)
    data_by_resolution = {}
    for point in points:
        if point.folder in done:
            continue
        torch.manual_seed(seed)
        if init_from is None:
            model = create_model(model_name, width=point.width, **(model_kwargs or {}))
        else:
            model, _ = load_pretrained(init_from, model_name)
        pre = Preprocessing.for_size(model.default_cfg, model.in_chans, point.resolution)
        if point.resolution not in data_by_resolution:
            data_by_resolution[point.resolution] = open_data(data_root, pre=pre, seed=seed)
        data = data_by_resolution[point.resolution]
        fit_classifier(model, len(data.classes))
        folder = out_dir / point.folder
        resume = (folder / "last.pth").is_file()
        say(f"point {point.folder}: {'resuming' if resume else 'training'} {model_name} width {point.width:g} at "
            f"{point.resolution}px for {epochs} epoch(s)")
        config = TrainConfig(folder, recipe=recipe, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                             progress=progress)
        result = train(model, data, pre, config, resume=resume, say=say)
        best = load_model(result.best)
        latency = compare_backends(best, point.resolution, (backend,), threads=threads, rounds=3)[backend]
        counted = profile(best, point.resolution)
        done[point.folder] = {"folder": point.folder, "width": point.width, "resolution": point.resolution,
                              "top1": result.best_score, "latency_ms": latency.median_ms, "macs": counted.macs,
                              "params": counted.params, "checkpoint": str(result.best)}
        atomic_write_text(state_path, json.dumps({"settings": settings, "rows": list(done.values())}, indent=1)
                          + "\n")
        say(f"  top-1 {result.best_score:.2f}%, {latency.median_ms:.3f} ms on {backend}")
    return [done[p.folder] for p in points]
