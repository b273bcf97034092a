"""Training checkpoints: ``out_dir/last.pth`` after every epoch, ``out_dir/best.pth`` when the
validation score (the task's: top-1, mIoU, mAP) improves.

Both are lightnets checkpoints (:func:`lightnets.checkpoint.save_model`, written atomically,
read with ``weights_only=True``) whose model is the one the run evaluates: the EMA of
the weights when the recipe keeps one, the trained weights otherwise. So
``lightnets.checkpoint.load_checkpoint("best.pth")`` gives the model to deploy, with
``preprocessing`` and ``classes`` beside it. ``last.pth`` also holds ``training``, all a
resumed run needs: the trained weights (when they differ from the EMA), optimizer and
scheduler state, the EMA's update count, the epochs done, the best score, the metrics history,
the world size and the run's configuration. Random generator states are not stored: each
epoch reseeds from (seed, epoch, rank) (see :mod:`lightnets.training.seeding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..checkpoint import load_checkpoint, save_model
from ..io import CheckpointError
from ..models import LightNet

LAST, BEST = "last.pth", "best.pth"


@dataclass(frozen=True)
class ResumeState:
    """What ``last.pth`` holds for continuing a run after ``epoch`` completed epochs."""

    epoch: int
    model_state: dict[str, torch.Tensor]  # the trained weights
    eval_state: dict[str, torch.Tensor]  # the evaluated weights (EMA, if kept)
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    ema_updates: int | None
    best_score: float  # the task's validation score (top-1, mIoU, mAP)
    best_epoch: int
    history: list[dict[str, Any]]
    world_size: int


def save_epoch(
    path: Path,
    eval_model: LightNet,
    *,
    preprocessing: dict[str, Any],
    classes: list[str],
    metrics: dict[str, Any],
    data: dict[str, Any],
    training: dict[str, Any] | None = None,
) -> Path:
    """Write the evaluated model with its preprocessing, classes, this epoch's metrics, the
    data's origin (folder and split, :attr:`~lightnets.data.DataSplits.origin`) and, for
    ``last.pth``, the ``training`` state built by :func:`training_state`."""
    extra: dict[str, Any] = {"preprocessing": preprocessing, "classes": list(classes), "metrics": metrics,
                             "data": data}
    if training is not None:
        extra["training"] = training
    return save_model(eval_model, path, extra=extra)


def training_state(
    *,
    epoch: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    ema: torch.optim.swa_utils.AveragedModel | None,
    best_score: float,
    best_epoch: int,
    history: list[dict[str, Any]],
    run: dict[str, Any],
    world_size: int,
) -> dict[str, Any]:
    """The ``training`` entry of ``last.pth``."""
    return {
        "epoch": epoch,
        "model": model.state_dict() if ema is not None else None,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "ema_updates": int(ema.n_averaged) if ema is not None else None,
        "best_score": best_score,
        "best_epoch": best_epoch,
        "history": history,
        "run": run,
        "world_size": world_size,
    }


def existing_run(out_dir: Path) -> Path | None:
    """``out_dir/last.pth`` if a run already wrote one there."""
    path = Path(out_dir) / LAST
    return path if path.is_file() else None


def load_resume_state(
    out_dir: Path,
    model: LightNet,
    *,
    classes: list[str],
    preprocessing: dict[str, Any],
    run: dict[str, Any],
    split: dict[str, Any] | None,
) -> ResumeState:
    """Read ``out_dir/last.pth`` and check it is a checkpoint of this very run: same model,
    classes, preprocessing, validation split and run settings. Each mismatch is named in
    the error."""
    path = Path(out_dir) / LAST
    if not path.is_file():
        raise CheckpointError(f"nothing to resume: {path} does not exist (resume points --out at the folder "
                              "of an earlier run; leave out --resume to start a new one)")
    saved, extra = load_checkpoint(path)
    if not isinstance(extra.get("training"), dict):
        raise CheckpointError(f"{path} holds no training state (a final or converted checkpoint); it cannot be resumed")
    training = extra["training"]
    problems = _differences("model", saved.config, model.config)
    if extra.get("classes") != list(classes):
        problems.append(f"classes {extra.get('classes')} vs {list(classes)}")
    if extra.get("preprocessing") != preprocessing:
        problems += _differences("preprocessing", extra.get("preprocessing") or {}, preprocessing)
    saved_split = (extra.get("data") or {}).get("split")
    if _normal(saved_split) != _normal(split):
        problems.append(f"validation split {saved_split} vs {split}")
    problems += _differences("run", training["run"], run)
    saved_epochs = training["run"].get("epochs")
    if training["epoch"] == saved_epochs and problems == [f"run.epochs {saved_epochs!r} vs {run.get('epochs')!r}"]:
        raise CheckpointError(
            f"{path} is a finished run of {saved_epochs} epochs; resuming continues an interrupted run and cannot "
            f"lengthen a finished one (its learning-rate schedule ended at epoch {saved_epochs}). To train further, "
            f"start a new run from its weights in another folder: --init-from {Path(out_dir) / BEST} "
            f"(in Python: lightnets.training.load_pretrained)")
    if problems:
        raise CheckpointError(f"{path} is from another run, it differs in: " + "; ".join(problems)
                              + " (saved vs now). Resume with the same settings, or start a new run in another --out")
    eval_state = saved.state_dict()
    return ResumeState(
        epoch=training["epoch"],
        model_state=training["model"] if training["model"] is not None else eval_state,
        eval_state=eval_state,
        optimizer=training["optimizer"],
        scheduler=training["scheduler"],
        ema_updates=training["ema_updates"],
        best_score=training["best_score"],
        best_epoch=training["best_epoch"],
        history=list(training["history"]),
        world_size=training["world_size"],
    )


def _differences(what: str, saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """``what.key saved vs now`` for every key whose values differ (a ``name`` first, the rest
    sorted), nested dicts flattened."""
    out = []
    for key in sorted(set(saved) | set(now), key=lambda k: (k != "name", str(k))):
        a, b = saved.get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(f"{what}.{key}", a, b)
        elif _normal(a) != _normal(b):
            out.append(f"{what}.{key} {a!r} vs {b!r}")
    return out


def _normal(value: Any) -> Any:
    """Tuples and lists compare equal (JSON and safetensors round-trips turn one into the other)."""
    return [_normal(v) for v in value] if isinstance(value, (list, tuple)) else value
