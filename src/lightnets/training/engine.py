"""The training engine: one loop for every task, model, recipe and number of processes.

:func:`train` takes a model, the data (a ``DataSplits``: ``train`` and ``val`` datasets and
``classes``), the preprocessing that made the tensors, and a
:class:`~lightnets.training.config.TrainConfig`; ``task`` (:mod:`lightnets.training.task`)
says how a batch becomes a loss and how the model is scored: classification (the default,
top-1), segmentation (mIoU) or detection (mAP). Each epoch it trains (progress bar with
loss, accuracy where the task counts it, images/s and time left), makes BatchNorm statistics
agree across processes, evaluates the model it will save (the EMA when the recipe keeps one),
and writes, on rank 0 only, ``best.pth`` when the validation score improved, ``last.pth``,
``metrics.jsonl`` / ``metrics.csv`` and ``curves.png``. Nothing is written before the first
epoch completes, so a run that fails early leaves no files behind.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..data import DataSplits, Preprocessing
from ..io import CheckpointError
from . import distributed
from .checkpoints import BEST, LAST, existing_run, load_resume_state, save_epoch, training_state
from .config import TrainConfig
from .ema import create_ema
from .metrics_log import CSV, JSONL, write_metrics
from .optim import build_optimizer, build_scheduler, plan_schedule, scaled_lr
from .param_groups import split_decay
from .plots import PLOT, plot_curves
from .seeding import seed_epoch
from .task import Classification, Score, Task


class NonFiniteLoss(FloatingPointError):
    """The loss became NaN or infinite; training stopped, the last good checkpoint kept."""


@dataclass(frozen=True)
class TrainResult:
    """Where a run's files are and how it ended. ``best_score`` is the best validation ``score`` (the task's:
    top1, miou or map), a percentage."""

    out_dir: Path
    epochs_done: int
    best_score: float
    best_epoch: int
    stopped_early: str | None  # why the run ended before its last epoch, None if it did not
    history: list[dict[str, Any]]
    score: str = "top1"

    @property
    def last(self) -> Path:
        return self.out_dir / LAST

    @property
    def best(self) -> Path:
        return self.out_dir / BEST

    @property
    def metrics(self) -> tuple[Path, Path]:
        return self.out_dir / JSONL, self.out_dir / CSV

    @property
    def curves(self) -> Path:
        return self.out_dir / PLOT


def train(model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig, *, resume: bool = False,
          task: Task | None = None, say: Callable[[str], None] = print) -> TrainResult:
    """Train ``model`` on ``data.train``, evaluating on ``data.val`` after every epoch.

    ``task`` is classification by default; a segmentation or detection model comes with its
    task (:func:`lightnets.tasks.task_for`).

    ``pre`` is the ``Preprocessing`` the datasets apply; it is stored in the checkpoints
    (``pre.to_dict()``) so that evaluation and prediction prepare images the same way.
    ``resume`` continues the run whose ``last.pth`` is in ``config.out_dir``: same model,
    data classes, preprocessing and run settings, else a :class:`CheckpointError` names
    the difference. Started by ``torchrun``, every process calls this with the same
    arguments. Raises :class:`NonFiniteLoss` if the loss diverges.
    """
    if task is None:
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
        task = Classification(model, list(data.classes), config)
    task.check(model, data, pre, config)
    ctx = distributed.setup(config.device)
    threads = torch.get_num_threads()
    try:
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        return _Run(model, data, pre, config, task, ctx, say if ctx.is_main else _quiet).run(resume)
    finally:
        torch.set_num_threads(threads)
        distributed.teardown(ctx)


def _quiet(_: str) -> None:
    """Messages of ranks other than 0 go nowhere."""


class _Run:
    """One run's pieces, built once; :meth:`run` loops over the epochs."""

    def __init__(self, model: nn.Module, data: DataSplits, pre: Preprocessing, config: TrainConfig, task: Task,
                 ctx: distributed.Context, say: Callable[[str], None]):
        if config.batch_size % ctx.world_size:
            raise ValueError(f"batch size {config.batch_size} does not split evenly over {ctx.world_size} processes; "
                             f"use a multiple of {ctx.world_size}")
        self.model, self.config, self.task, self.ctx, self.say = model, config, task, ctx, say
        self.recipe = config.recipe
        self.classes = list(data.classes)
        self.preprocessing = pre.to_dict()
        self.data_origin = data.origin
        self.batch = config.batch_size // ctx.world_size
        self.sampler = distributed.train_sampler(data.train, ctx, config.seed)
        pin = ctx.device.type == "cuda"
        self.train_loader = DataLoader(data.train, batch_size=self.batch, sampler=self.sampler, drop_last=True,
                                       num_workers=config.workers, pin_memory=pin, collate_fn=task.collate)
        self.val_loader = DataLoader(distributed.eval_shard(data.val, ctx), batch_size=self.batch,
                                     num_workers=config.workers, pin_memory=pin, collate_fn=task.collate)
        self.val_size = len(data.val)
        self.train_size = len(data.train)
        self.lr = config.lr if config.lr is not None else scaled_lr(self.recipe, config.batch_size)
        self.schedule = plan_schedule(self.recipe, len(self.train_loader), config.epochs)
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format

    def run(self, resume: bool) -> TrainResult:
        config, ctx, model = self.config, self.ctx, self.model
        state = None
        if resume:
            state = load_resume_state(config.out_dir, model, classes=self.classes,
                                      preprocessing=self.preprocessing, run=config.run_fields(),
                                      split=self.data_origin["split"])
        elif existing_run(config.out_dir):
            raise CheckpointError(f"{config.out_dir} already holds a run ({config.out_dir / LAST}); "
                                  "continue it with resume (--resume), or choose another output folder")
        model.to(ctx.device, memory_format=self.memory_format)
        if state is not None:
            model.load_state_dict(state.model_state)
        if config.head_only:
            model.requires_grad_(False)
            self.task.head(model).requires_grad_(True)
        self.network = distributed.wrap(model, ctx)
        if config.compile:
            self.network = torch.compile(self.network)
        self.optimizer = build_optimizer(model, self.recipe, self.lr)
        self.scheduler = build_scheduler(self.optimizer, self.recipe, self.schedule)
        self.ema = create_ema(model, self.recipe.ema_decay) if self.recipe.ema else None
        history, best_score, best_epoch, start = [], -1.0, 0, 0
        if state is not None:
            self.optimizer.load_state_dict(state.optimizer)
            self.scheduler.load_state_dict(state.scheduler)
            if self.ema is not None:
                self.ema.module.load_state_dict(state.eval_state)
                self.ema.n_averaged.fill_(state.ema_updates)
            history, best_score, best_epoch, start = state.history, state.best_score, state.best_epoch, state.epoch
            if state.world_size != ctx.world_size:
                self.say(f"note: the run was saved by {state.world_size} process(es) and continues on "
                         f"{ctx.world_size}; it goes on correctly but will not repeat an uninterrupted run bit for bit")
        self.eval_model = self.ema.module if self.ema is not None else model
        self._introduce(start)

        stopped, began, last_seconds = None, time.perf_counter(), 0.0
        for epoch in range(start, config.epochs):
            if config.max_minutes is not None and epoch > start:
                over = time.perf_counter() - began + last_seconds > 60 * config.max_minutes
                if distributed.any_rank(over, ctx):
                    stopped = (f"time budget of {config.max_minutes:g} min: another epoch (~{last_seconds:.0f} s) "
                               f"would overrun it; continue with resume (--resume)")
                    self.say(f"stopping after epoch {epoch}/{config.epochs}: {stopped}")
                    break
            epoch_began = time.perf_counter()
            seed_epoch(config.seed, epoch, ctx.rank)
            self.sampler.set_epoch(epoch)
            trained = self._train_epoch(epoch)
            distributed.average_bn_stats(model)
            if self.ema is not None:
                distributed.average_bn_stats(self.ema.module)
            scores = self._validate(epoch)
            kept = max(scores, key=lambda name: scores[name].value)  # the EMA on a tie: it comes first
            val, key = scores[kept], self.task.score
            last_seconds = time.perf_counter() - epoch_began
            record = {"epoch": epoch + 1, **trained, "val_loss": val.loss, f"val_{key}": val.value,
                      **{f"val_{name}": value for name, value in val.extra.items()}, "epoch_seconds": last_seconds}
            if self.ema is not None:
                record |= {f"val_{key}_ema": scores["ema"].value, f"val_{key}_raw": scores["raw"].value, "kept": kept}
            history.append(record)
            improved = val.value > best_score
            if improved:
                best_score, best_epoch = val.value, epoch + 1
            if ctx.is_main:
                best_model = self.ema.module if kept == "ema" else model
                self._write(epoch + 1, record, history, improved, best_score, best_epoch, best_model)
            self.say(_epoch_line(record, self.task, config.epochs, improved))
            lagging = _lagging_statistics(record, len(self.classes))
            if lagging:
                self.say(lagging)
        distributed.barrier()
        return TrainResult(config.out_dir, len(history), best_score, best_epoch, stopped, history, self.task.score)

    def _train_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over this rank's shard; the global mean loss, top-1 (for a task that counts
        hits), images/s and the learning rate of the last step."""
        self.network.train()
        if self.config.freeze_bn or self.config.head_only:
            for module in self.model.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        device = self.ctx.device
        sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss x images, correct, images
        began = time.perf_counter()
        bar = tqdm(self.train_loader, desc=f"epoch {epoch + 1}/{self.config.epochs}", unit="batch",
                   disable=not (self.config.progress and self.ctx.is_main), leave=False, dynamic_ncols=True)
        lr = float("nan")
        counts_hits = True
        for step, (images, targets) in enumerate(bar, start=1):
            images = images.to(device, non_blocking=True, memory_format=self.memory_format)
            targets = self.task.targets_to(targets, device)
            lr = self.optimizer.param_groups[0]["lr"]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.config.bf16):
                result = self.task.step(self.network, images, targets)
            loss, counts_hits = result.loss, result.hits is not None
            global_loss = loss.detach().clone()
            distributed.all_reduce_sum(global_loss)
            if not torch.isfinite(global_loss):
                raise NonFiniteLoss(self._diverged(f"the loss is {global_loss.item()}", epoch, step, lr))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            hits = result.hits.double() if counts_hits else torch.zeros((), dtype=torch.float64, device=device)
            sums += torch.stack([loss.detach().double() * result.count, hits,
                                 torch.tensor(result.count, dtype=torch.float64, device=device)])
            seen = sums[2].item()
            shown = {"acc": f"{100 * sums[1].item() / seen:.1f}%"} if counts_hits else {}
            bar.set_postfix(loss=f"{sums[0].item() / seen:.4f}", **shown,
                            img_s=f"{seen * self.ctx.world_size / (time.perf_counter() - began):.0f}",
                            refresh=False)
        bar.close()
        seconds = time.perf_counter() - began
        distributed.all_reduce_sum(sums)
        trained = {"lr": lr, "train_loss": sums[0].item() / sums[2].item()}
        if counts_hits:
            trained["train_top1"] = 100 * sums[1].item() / sums[2].item()
        return trained | {"train_images_per_s": sums[2].item() / seconds}

    def _validate(self, epoch: int) -> dict[str, Score]:
        """Validation of the EMA (when the recipe keeps one) and of the trained weights.

        Both are scored, as timm does, because on short runs the EMA and its BatchNorm
        statistics lag far behind the weights (the average still remembers the random
        start) and can score at chance while the weights have learned; the better one is
        what ``best.pth`` keeps.
        """
        models = {"ema": self.ema.module} if self.ema is not None else {}
        models["raw"] = self.model
        scores = {}
        for name, module in models.items():
            scores[name] = self.task.evaluate(
                module, self.val_loader, device=self.ctx.device,
                progress=self.config.progress and self.ctx.is_main, reduce=distributed.all_reduce_sum,
                desc=f"val{' ' + name if len(models) > 1 else ''} {epoch + 1}/{self.config.epochs}")
            self._check_finite(epoch, scores[name].loss)
        return scores

    def _check_finite(self, epoch: int, val_loss: float) -> None:
        """The weights and the validation loss must be finite before they are saved."""
        finite = math.isfinite(val_loss) and all(bool(torch.isfinite(p).all()) for p in self.model.parameters())
        if distributed.any_rank(not finite, self.ctx):
            what = f"the validation loss is {val_loss}" if not math.isfinite(val_loss) else "a weight is not finite"
            raise NonFiniteLoss(self._diverged(f"{what} after the last step", epoch, len(self.train_loader),
                                               self.optimizer.param_groups[0]["lr"]))

    def _diverged(self, what: str, epoch: int, step: int, lr: float) -> str:
        where = f"{what} at epoch {epoch + 1}, step {step}/{len(self.train_loader)} (learning rate {lr:.3g})"
        kept = (f"{self.config.out_dir / LAST} keeps the last good state (epoch {epoch})" if epoch > 0
                else "no epoch completed, so no checkpoint was written")
        return (f"training stopped: {where}; {kept}. Lower the learning rate (--lr), "
                "or look for broken images in the data")

    def _write(self, epoch: int, record: dict, history: list, improved: bool, best_score: float,
               best_epoch: int, best_model: nn.Module) -> None:
        """best.pth (``best_model``: the better of EMA and weights) before last.pth (the EMA
        when kept, which resuming continues): a run killed in between redoes the epoch and
        rewrites both."""
        out = self.config.out_dir
        common = dict(preprocessing=self.preprocessing, classes=self.classes, metrics=record, data=self.data_origin)
        if improved:
            save_epoch(out / BEST, best_model, **common)
        training = training_state(
            epoch=epoch, model=self.model, optimizer=self.optimizer, scheduler=self.scheduler, ema=self.ema,
            best_score=best_score, best_epoch=best_epoch, history=history, run=self.config.run_fields(),
            world_size=self.ctx.world_size)
        save_epoch(out / LAST, self.eval_model, training=training, **common)
        write_metrics(out, history)
        plot_curves(out / PLOT, history, title=f"{self.model.config['name']} ({self.recipe.name})",
                    score=self.task.score, label=self.task.label)

    def _introduce(self, start: int) -> None:
        recipe, config, s = self.recipe, self.config, self.schedule
        params = sum(p.numel() for p in self.model.parameters())
        lr_from = (f"{self.lr:.4g}" if config.lr is not None
                   else f"{self.lr:.4g} ({recipe.lr:g} x {config.batch_size}/256)")
        ema = f", EMA {recipe.ema_decay:g}" if recipe.ema else ""
        task = "" if self.task.name == "classification" else f"{self.task.name}, "
        self.say(f"training {self.model.config['name']} ({task}{params:,} parameters) on {len(self.classes)} classes: "
                 f"{self.train_size} train / {self.val_size} val images")
        self.say(f"recipe {recipe.name}: {recipe.optimizer}, peak lr {lr_from}, warm-up {s.warmup_epochs:.2g} epochs, "
                 f"{recipe.decay} decay, label smoothing {recipe.label_smoothing:g}{ema}")
        if recipe.weight_decay:
            where = split_decay(self.model).describe() if recipe.no_decay_dw_bn_bias else "on every tensor"
            self.say(f"weight decay {recipe.weight_decay:g} {where}")
        procs = (f"{self.ctx.world_size} processes, global batch {config.batch_size} ({self.batch} each)"
                 if self.ctx.distributed else f"batch {config.batch_size}")
        speed = [name for name, on in (("channels_last", config.channels_last), ("torch.compile", config.compile),
                                       ("bf16 autocast", config.bf16)) if on]
        self.say(f"{procs}, {s.iters_per_epoch} steps per epoch, {config.epochs} epochs, device {self.ctx.device}"
                 + (f" ({', '.join(speed)})" if speed else "") + (f"; resuming after epoch {start}" if start else ""))


def _lagging_statistics(record: dict, classes: int) -> str:
    """A note when validation predicts the uniform distribution (its loss is ln(classes),
    within 1%) while training is well above chance: the evaluated model's BatchNorm running
    statistics (and the EMA, when kept) still lag the weights, as on very short runs."""
    chance = 100 / classes
    if "train_top1" not in record or "val_top1" not in record:
        return ""
    if abs(record["val_loss"] - math.log(classes)) > 0.01 * math.log(classes) or record["train_top1"] < chance + 10:
        return ""
    return (f"note: validation scores at chance ({record['val_top1']:.1f}%, loss ln({classes})) while training "
            f"reaches {record['train_top1']:.1f}%: BatchNorm's running statistics (and the EMA) still lag the "
            "weights this early in a run; train for more steps (epochs, or a smaller batch)")


def _epoch_line(record: dict, task: Task, epochs: int, improved: bool) -> str:
    key = task.score
    return (f"epoch {record['epoch']}/{epochs}  train loss {record['train_loss']:.4f}"
            + (f" top-1 {record['train_top1']:.1f}%" if "train_top1" in record else "")
            + f"  val loss {record['val_loss']:.4f} {task.label} {record[f'val_{key}']:.1f}%"
            + (f" top-5 {record['val_top5']:.1f}%" if record.get("val_top5") is not None else "")
            + (f" (EMA {record[f'val_{key}_ema']:.1f}%, weights {record[f'val_{key}_raw']:.1f}%: kept {record['kept']})"
               if "kept" in record else "")
            + f"  lr {record['lr']:.3g}  {record['train_images_per_s']:.0f} img/s  {record['epoch_seconds']:.1f} s"
            + ("  [best]" if improved else ""))
