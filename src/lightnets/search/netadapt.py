"""NetAdapt (Yang et al. 2018, arXiv:1804.03230, Algorithm 1): a trained network narrowed
layer by layer until its latency, measured on this machine's backend, meets a target.

Each iteration asks for a latency reduction that decays with the iterations: the
constraint is the network's predicted latency less ``initial_reduction`` (a fraction of the
starting latency) times ``decay ** (i - 1)``, the schedule of the authors' reimplementation
(2.5% and 0.96 by default). For every width group (:mod:`.pruning`: a layer, or the channels
a residual ties), it takes the largest width, a multiple of ``step`` channels, whose
latency the lookup table (:mod:`.latency_table`) predicts within the constraint (searched by
bisection, as latency grows with width), keeps the filters of largest L2 norm, fine-tunes
the proposal for ``short_steps`` SGD steps and scores it on images held out of the
training data (never the test set). The best proposal (by held-out top-1, or MnasNet's
reward on request) becomes the next network; its latency is then measured whole on the
backend, and the loop stops once that measurement meets the target. A long-term fine-tune
(the training engine, ``long_epochs``) ends it.

Everything is written to ``out_dir``: ``iterations/iter_NNN.pth`` (each iteration's network,
a lightnets checkpoint), ``netadapt.json`` (the trajectory, rewritten atomically after
each iteration), ``trajectory.png``, the long-term run in ``final/`` and the result as
``netadapt.pth``. A killed run resumes from its last iteration along the same trajectory:
every proposal is seeded by the run's seed, the iteration and the group, and the
latencies it compares are the table's, which the cache keeps.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..bench.progress import steps
from ..checkpoint import load_checkpoint, save_model
from ..data import DataSplits, Preprocessing
from ..data.selection_split import selection_split
from ..io import CheckpointError, atomic_path, atomic_write_text
from ..models import LightNet
from ..training import TrainConfig, train
from ..training.evaluate import evaluate
from .latency_table import LatencyProbe, LatencyTable
from .pruning import WidthGroup, model_widths, narrowed_config, narrowed_plan, prune, width_groups
from .reward import REWARDS, mnas_reward

STATE, FINAL, PLOT = "netadapt.json", "netadapt.pth", "trajectory.png"
RANKS = ("accuracy", *REWARDS)


@dataclass(frozen=True)
class NetAdaptConfig:
    """A NetAdapt run: a target (``target_ms``, or ``target_ratio`` of the starting measured
    latency), the backend and threads it is measured on, the reduction schedule, the width
    granularity, the fine-tuning budgets and the held-out share of the training images.
    ``rank`` orders the proposals: ``accuracy`` (the paper's) or MnasNet's ``soft`` / ``hard``
    reward at the target. ``channels_last`` and ``bf16`` are the fine-tunes' speed options,
    as in :class:`~lightnets.training.TrainConfig`."""

    out_dir: str | Path
    target_ms: float | None = None
    target_ratio: float | None = None
    backend: str = "ort-fp32"
    threads: int = 1
    initial_reduction: float = 0.025
    decay: float = 0.96
    step: int = 8
    short_steps: int = 200
    long_epochs: int = 5
    lr: float = 0.01
    batch_size: int = 64
    held_out: float = 0.1
    seed: int = 0
    max_iterations: int = 100
    rank: str = "accuracy"
    warmup: int = 5
    runs: int = 20
    progress: bool = True
    channels_last: bool = False
    bf16: bool = False

    RUNTIME_FIELDS = ("out_dir", "max_iterations", "progress", "long_epochs", "channels_last", "bf16")

    def __post_init__(self) -> None:
        if (self.target_ms is None) == (self.target_ratio is None):
            raise ValueError("give exactly one target: target_ms (--target-ms) or target_ratio (--target-ratio)")
        if self.target_ms is not None:
            _number("target_ms", self.target_ms, 0, None)
        if self.target_ratio is not None:
            _number("target_ratio", self.target_ratio, 0, 1)
        _number("initial_reduction", self.initial_reduction, 0, 1)
        _number("decay", self.decay, 0, 1, top_included=True)
        _number("lr", self.lr, 0, None)
        _number("held_out", self.held_out, 0, 1)
        for name, minimum in (("threads", 1), ("step", 1), ("short_steps", 1), ("long_epochs", 0),
                              ("batch_size", 1), ("seed", 0), ("max_iterations", 1), ("warmup", 0), ("runs", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        for name in ("progress", "channels_last", "bf16"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.rank not in RANKS:
            raise ValueError(f"rank must be one of {', '.join(RANKS)}, got {self.rank!r}")
        object.__setattr__(self, "out_dir", Path(self.out_dir))

    def run_fields(self) -> dict[str, Any]:
        """What a resumed run must share with the one it continues."""
        d = dataclasses.asdict(self)
        return {k: v for k, v in d.items() if k not in self.RUNTIME_FIELDS}


def _number(name: str, value: Any, low: float, high: float | None, top_included: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > low \
        and (high is None or value < high or (top_included and value == high))
    if not ok:
        bound = "" if high is None else f" and {'at most' if top_included else 'below'} {high:g}"
        raise ValueError(f"{name} must be a number above {low:g}{bound}, got {value!r}")


class TargetError(ValueError):
    """The target cannot be reached: below the floor of the narrowest network, or no
    iteration's proposals get there."""


@dataclass(frozen=True)
class NetAdaptResult:
    out_dir: Path
    target_ms: float
    start: dict[str, Any]
    iterations: list[dict[str, Any]]
    stopped: str  # why the loop ended
    final: Path | None  # the result checkpoint; None when the target was met from the start
    final_top1: float | None  # held-out top-1 of the result after the long-term fine-tune

    @property
    def trajectory(self) -> Path:
        return self.out_dir / PLOT


def candidate_widths(width: int, step: int) -> list[int]:
    """The multiples of ``step`` below ``width``, widest first, down to ``step``."""
    return list(range(step * ((width - 1) // step), step - 1, -step))


def choose_width(model: nn.Module, group: WidthGroup, limit_ms: float, step: int,
                 predict: Callable[[dict], float]) -> tuple[int, float] | None:
    """The largest candidate width of ``group`` whose predicted latency is within
    ``limit_ms``, and that latency; None when even the narrowest is over."""
    widths = candidate_widths(group.width, step)
    if not widths:
        return None
    latency = {}

    def fits(i: int) -> bool:
        if i not in latency:
            latency[i] = predict(narrowed_config(model, group, widths[i]))
        return latency[i] <= limit_ms

    last = len(widths) - 1
    if not fits(last):
        return None
    low, high = 0, last  # the first index that fits lies in [low, high]; high fits
    while low < high:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid + 1
    return widths[high], latency[high]


def _seed(seed: int, iteration: int, group: int) -> int:
    """The seed of one proposal's fine-tune: the same on every run and resume."""
    return (seed * 1_000_003 + iteration * 1_009 + group) % 2 ** 31


def short_term_fine_tune(model: nn.Module, fit, *, steps_: int, lr: float, batch_size: int, seed: int,
                         channels_last: bool = False, bf16: bool = False) -> None:
    """``steps_`` SGD steps (Nesterov momentum 0.9) on ``fit``, seeded, in place; the speed
    options as the training engine applies them."""
    torch.manual_seed(seed)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=layout)
    loader = DataLoader(fit, batch_size=min(batch_size, len(fit)), shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    criterion = nn.CrossEntropyLoss()
    model.train()
    done = 0
    while done < steps_:
        for images, labels in loader:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = criterion(model(images.contiguous(memory_format=layout)), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps_:
                break
    model.eval()


def _held_out_top1(model: nn.Module, held, num_classes: int, batch_size: int) -> float:
    return evaluate(model, DataLoader(held, batch_size=batch_size), num_classes).top1


def _score(record: dict, rank: str, target_ms: float) -> float:
    if rank == "accuracy":
        return record["top1"]
    return mnas_reward(record["top1"], record["predicted_ms"], target_ms, rank)


def _extra(pre: Preprocessing, data: DataSplits, record: dict) -> dict:
    return {"preprocessing": pre.to_dict(), "classes": list(data.classes), "data": data.origin, "netadapt": record}


def _write_state(out_dir: Path, doc: dict) -> None:
    atomic_write_text(out_dir / STATE, json.dumps(doc, indent=1) + "\n")


def plot_trajectory(path: Path, start: dict, iterations: list[dict], target_ms: float, title: str) -> Path:
    """Held-out top-1 against measured (and predicted) latency, one point per iteration."""
    from matplotlib.figure import Figure

    points = [start, *iterations]
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot([p["measured_ms"] for p in points], [p["top1"] for p in points], "o-", label="measured")
    ax.plot([p["predicted_ms"] for p in points], [p["top1"] for p in points], "x--", alpha=0.6, label="predicted")
    for i, p in enumerate(points):
        ax.annotate(str(i), (p["measured_ms"], p["top1"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axvline(target_ms, color="tab:red", linestyle=":", label=f"target {target_ms:.3g} ms")
    ax.set(xlabel="latency (ms)", ylabel="held-out top-1 (%)", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path


def netadapt(model: LightNet, data: DataSplits, pre: Preprocessing, config: NetAdaptConfig, table: LatencyTable,
             *, resume: bool = False, say: Callable[[str], None] = print) -> NetAdaptResult:
    """Run NetAdapt on the trained ``model`` with ``data.train`` (split by
    :func:`~lightnets.data.selection_split.selection_split`), timing on ``table``'s backend."""
    if not isinstance(model, LightNet):
        raise TypeError(f"netadapt needs a lightnets model, got {type(model).__name__}")
    if not isinstance(config, NetAdaptConfig):
        raise TypeError(f"config must be a NetAdaptConfig, got {type(config).__name__}")
    model_widths(model)  # a family without per-layer widths is refused before any work
    if (table.identity["backend"], table.identity["threads"], table.identity["batch"]) != \
            (config.backend, config.threads, 1):
        raise ValueError(f"the table is for {table.identity['backend']} at {table.identity['threads']} thread(s), "
                         f"batch {table.identity['batch']}; NetAdapt times {config.backend}, {config.threads}, batch 1")
    if model.num_classes != len(data.classes):
        raise ValueError(f"the model has {model.num_classes} outputs but the data has {len(data.classes)} classes")
    out = config.out_dir
    state_path = out / STATE
    if resume and not state_path.is_file():
        raise CheckpointError(f"{out} holds no NetAdapt run to resume ({state_path} is missing)")
    if not resume and state_path.exists():
        raise CheckpointError(f"{out} already holds a NetAdapt run ({state_path}); continue it with resume "
                              "(--resume), or choose another output folder")
    fit, held = selection_split(data.train, pre, config.held_out, config.seed)
    num_classes = len(data.classes)
    latency = LatencyProbe(table, pre.input_size, warmup=config.warmup, runs=config.runs)

    if resume:
        doc = json.loads(state_path.read_text())
        if doc.get("config") != config.run_fields():
            raise CheckpointError(f"{out} was run with other settings ({doc.get('config')}); resume with the same "
                                  "target, backend, schedule and fine-tuning settings")
        start, iterations, target = doc["start"], doc["iterations"], doc["target_ms"]
        if iterations:
            model, _ = load_checkpoint(out / iterations[-1]["checkpoint"])
        say(f"resuming {out}: {len(iterations)} iteration(s) done")
    else:
        model = model.eval()
        measured = latency.measure(model)
        predicted = latency.predict(model)
        target = config.target_ms if config.target_ms is not None else config.target_ratio * measured
        top1 = _held_out_top1(model, held, num_classes, config.batch_size)
        start = {"iteration": 0, "measured_ms": measured, "predicted_ms": predicted, "top1": top1,
                 "widths": model.widths}
        say(f"start: measured {measured:.3f} ms, predicted {predicted:.3f} ms on {config.backend} "
            f"({config.threads} thread(s)); held-out top-1 {top1:.2f}% on {len(held)} training images held out")
        if measured <= target:
            say(f"the target {target:.3f} ms is already met: the network measures {measured:.3f} ms; nothing to do")
            return NetAdaptResult(out, target, start, [], "target already met", None, None)
        floor_config = {**model.config, "widths": _narrowest(model, config.step)}
        floor = latency.predict_config(floor_config)
        if floor > target:
            raise TargetError(f"the target {target:.3f} ms is below the floor of this architecture: with every "
                              f"layer at its narrowest ({config.step} channels, --step) the table predicts "
                              f"{floor:.3f} ms on {config.backend}; aim at {floor:.3f} ms or more")
        out.mkdir(parents=True, exist_ok=True)
        (out / "iterations").mkdir(exist_ok=True)
        iterations = []
        doc = {"config": config.run_fields(), "target_ms": target,
               "start": start, "iterations": iterations, "table": str(table.path)}
        _write_state(out, doc)

    def save() -> None:
        doc["iterations"] = iterations
        _write_state(out, doc)
        plot_trajectory(out / PLOT, start, iterations, target, f"NetAdapt {model.config['name']} on {config.backend}")

    reduction = config.initial_reduction * start["predicted_ms"]  # the schedule is in the table's terms
    stopped = None
    current = iterations[-1] if iterations else start
    while current["measured_ms"] > target:
        i = len(iterations) + 1
        if i > config.max_iterations:
            stopped = f"max_iterations {config.max_iterations} reached above the target"
            break
        limit = current["predicted_ms"] - reduction * config.decay ** (i - 1)
        groups = width_groups(model)
        proposals = []
        bar = steps(len(groups), f"NetAdapt iteration {i}", config.progress)
        for g, group in enumerate(groups):
            bar.set_postfix_str(group.name)
            chosen = choose_width(model, group, limit, config.step, latency.predict_config)
            if chosen is not None:
                width, predicted = chosen
                candidate = prune(model, group, width)
                short_term_fine_tune(candidate, fit, steps_=config.short_steps, lr=config.lr,
                                     batch_size=config.batch_size, seed=_seed(config.seed, i, g),
                                     channels_last=config.channels_last, bf16=config.bf16)
                top1 = _held_out_top1(candidate, held, num_classes, config.batch_size)
                proposals.append(({"group": group.name, "from": group.width, "to": width,
                                   "predicted_ms": predicted, "top1": top1}, candidate))
            bar.update()
        bar.close()
        if not proposals:
            stopped = (f"no single layer meets this iteration's constraint of {limit:.3f} ms (a reduction of "
                       f"{current['predicted_ms'] - limit:.3f} ms); lower --initial-reduction or --step")
            break
        best, model = max(proposals, key=lambda p: (_score(p[0], config.rank, target), -p[0]["predicted_ms"]))
        measured = latency.measure(model)
        record = {"iteration": i, **best, "measured_ms": measured, "limit_ms": limit, "widths": model.widths,
                  "checkpoint": f"iterations/iter_{i:03d}.pth",
                  "proposals": [p for p, _ in proposals]}
        save_model(model, out / record["checkpoint"], extra=_extra(pre, data, {k: v for k, v in record.items()
                                                                               if k != "proposals"}))
        iterations.append(record)
        save()
        current = record
        say(f"iteration {i}: {best['group']} {best['from']} -> {best['to']} channels; predicted "
            f"{best['predicted_ms']:.3f} ms (limit {limit:.3f}), measured {measured:.3f} ms (target {target:.3f}); "
            f"held-out top-1 {best['top1']:.2f}% of {len(proposals)} proposal(s)")
    if stopped is not None:
        raise TargetError(f"stopped at {current['measured_ms']:.3f} ms, above the target {target:.3f} ms: {stopped}. "
                          f"The iterations so far are in {out / 'iterations'}; continue with resume (--resume) "
                          "after changing nothing but max_iterations, or start again with other settings")
    stopped = f"target met: measured {current['measured_ms']:.3f} ms <= {target:.3f} ms"
    say(stopped)
    final, final_top1 = _long_term(model, current["top1"], fit, held, data, pre, config, say)
    return NetAdaptResult(out, target, start, iterations, stopped, final, final_top1)


def _narrowest(model: nn.Module, step: int) -> dict:
    plan = model.widths
    for group in width_groups(model):
        plan = narrowed_plan(plan, group, min(group.width, step))
    return plan


def _long_term(model: LightNet, top1: float, fit, held, data: DataSplits, pre: Preprocessing,
               config: NetAdaptConfig, say: Callable[[str], None]) -> tuple[Path, float]:
    """Fine-tune the result (held-out top-1 ``top1``) with the training engine (held-out
    images as its validation), and write ``netadapt.pth``: the engine's best, or the last
    iteration's network."""
    out = config.out_dir
    path = out / FINAL
    if config.long_epochs == 0:
        save_model(model, path, extra=_extra(pre, data, {"long_epochs": 0, "top1": top1}))
        return path, top1
    splits = DataSplits(fit, held, list(data.classes), source=f"{data.source}, {len(held)} held out",
                        root=data.root, split=data.split)
    run = TrainConfig(out / "final", recipe="sgd-cosine", epochs=config.long_epochs,
                      batch_size=min(config.batch_size, len(fit)), lr=config.lr, seed=config.seed,
                      progress=config.progress, channels_last=config.channels_last, bf16=config.bf16)
    resume = (out / "final" / "last.pth").is_file()
    say(f"long-term fine-tune: {config.long_epochs} epoch(s){' (resumed)' if resume else ''}")
    result = train(model.train(), splits, pre, run, resume=resume, say=say)
    with atomic_path(path) as tmp:
        shutil.copyfile(result.best, tmp)
    return path, result.best_score
