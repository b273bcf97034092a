"""Latency lookup tables: a network's latency predicted from its units', each measured
alone on this machine.

NetAdapt (Yang et al. 2018, arXiv:1804.03230, Section 3.2) and MnasNet rank many candidate
networks by their latency on the target device. Measuring each candidate whole is too slow,
so NetAdapt measures each layer once, keeps the numbers in a table and adds them up. Here a
*unit* is one of the pieces a LightNet runs in order: its stem, each block of its stages,
its last conv and its head. A unit's cost is fixed by its structure (the module's repr: the
kernel, stride, groups and channels of every layer in it) and its input shape; the two
together are its key. The units and their input shapes come from a forward pass (hooks),
not from the builders.

Each distinct unit is measured once on the backend (``eager``, ``ort-fp32``, ``ort-int8``,
``executorch-fp32``, ``executorch-int8``, as :mod:`lightnets.bench.backends` builds them),
exported alone where the backend runs a file, at the thread count and batch asked for. The
table is a JSON file in :func:`~lightnets.io.user_cache_dir` (``latency/<identity>.json``),
rewritten atomically after every unit, so a killed build keeps what it measured and the
next one goes on from there. Its identity is the CPU model, the versions of the libraries
the backend runs on, the backend, the threads and the batch; a file that records another
identity is rebuilt, never reused.

Every call into a runtime costs a fixed overhead besides its work: a unit measured alone
pays it once, and so does the whole network. The table measures that overhead on one 1x1
convolution of 8 channels at 4x4 (next to no work), and predicts a network as the overhead
plus each unit's latency less the overhead.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch
from torch import nn

from ..bench.backends import BACKENDS, available_backends, build_backends
from ..bench.latency import time_calls
from ..bench.peak import cpu_model
from ..bench.progress import steps
from ..io import atomic_path, user_cache_dir

TABLE_FORMAT = 1
RUNTIMES = {"eager": ("torch",), "ort": ("torch", "onnx", "onnxruntime"), "executorch": ("torch", "executorch")}
OVERHEAD_KEY = "call overhead"


def _runtime(backend: str) -> tuple[str, ...]:
    return RUNTIMES["eager" if backend.startswith("eager") else backend.split("-")[0]]


def identity(backend: str, threads: int, batch: int) -> dict:
    """What a table's numbers depend on: this CPU, the runtime versions, backend, threads, batch."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if backend not in available_backends():
        raise ValueError(f"backend {backend} is not installed here (ExecuTorch's backends need the 'mobile' extra: "
                         f"pip install 'lightnets[mobile]'); installed: {', '.join(available_backends())}")
    for name, value in (("threads", threads), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    versions = {}
    for package in _runtime(backend):
        try:
            versions[package] = torch.__version__ if package == "torch" else version(package)
        except PackageNotFoundError:
            raise ValueError(f"backend {backend} needs {package}, which is not installed") from None
    return {"format": TABLE_FORMAT, "cpu": cpu_model(), "versions": versions, "backend": backend,
            "threads": threads, "batch": batch}


def table_path(ident: dict) -> Path:
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]
    return user_cache_dir() / "latency" / f"{ident['backend']}-{digest}.json"


@dataclass(frozen=True)
class Unit:
    """One piece of a network as it runs: its module path, kind, input shape and key."""

    name: str
    kind: str
    input_shape: tuple[int, ...]
    key: str


@dataclass
class LatencyTable:
    """Measured unit latencies (ms) for one identity; ``note`` says why an existing file
    was not reused, if one was not."""

    path: Path
    identity: dict
    units: dict[str, dict] = field(default_factory=dict)
    overhead_ms: float | None = None
    note: str | None = None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"identity": self.identity, "overhead_ms": self.overhead_ms, "units": self.units}
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps(doc, indent=1) + "\n")

    def missing(self, units: list[Unit]) -> list[Unit]:
        """The distinct units of ``units`` the table has no number for, in network order."""
        seen, out = set(), []
        for unit in units:
            if unit.key not in self.units and unit.key not in seen:
                seen.add(unit.key)
                out.append(unit)
        return out


def open_table(backend: str, threads: int = 1, batch: int = 1, path: str | Path | None = None) -> LatencyTable:
    """This machine's table for ``backend``, ``threads`` and ``batch``: read from ``path``
    (default: the cache's file for this identity) when it records the same identity, else
    a new empty one (its ``note`` says why the file was not reused)."""
    ident = identity(backend, threads, batch)
    path = table_path(ident) if path is None else Path(path)
    if not path.is_file():
        return LatencyTable(path, ident)
    try:
        doc = json.loads(path.read_text())
        stored, units, overhead = doc["identity"], doc["units"], doc["overhead_ms"]
        if not isinstance(units, dict):
            raise TypeError("units is not a dict")
    except (OSError, ValueError, KeyError, TypeError) as e:
        return LatencyTable(path, ident, note=f"{path} is unreadable ({type(e).__name__}: {e}); rebuilding it")
    if stored != ident:
        changed = sorted(k for k in set(stored) | set(ident) if stored.get(k) != ident.get(k)) \
            if isinstance(stored, dict) else ["identity"]
        return LatencyTable(path, ident, note=f"{path} was measured with another {', '.join(changed)} "
                                              f"({_differences(stored, ident, changed)}); rebuilding it")
    return LatencyTable(path, ident, units, overhead)


def _differences(stored, ident: dict, changed: list[str]) -> str:
    if not isinstance(stored, dict):
        return "no identity recorded"
    return "; ".join(f"{k}: {stored.get(k)!r} there, {ident.get(k)!r} here" for k in changed)


def _unit_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """A LightNet's units in the order it runs them."""
    for attr in ("stem", "stages", "head"):
        if not hasattr(model, attr):
            raise ValueError(f"latency tables take lightnets models (stem, stages, head); {type(model).__name__} "
                             f"has no {attr}")
    units = [("stem", model.stem)]
    units += [(f"stages.{i}.{j}", block) for i, stage in enumerate(model.stages) for j, block in enumerate(stage)]
    if getattr(model, "final_conv", None) is not None:
        units.append(("final_conv", model.final_conv))
    return units + [("head", model.head)]


def _key(module: nn.Module, shape: tuple[int, ...]) -> str:
    return hashlib.sha256(f"{module!r}\n{list(shape)}".encode()).hexdigest()[:20]


def network_units(model: nn.Module, resolution: int, batch: int = 1) -> tuple[list[Unit], dict[str, nn.Module]]:
    """The units ``model`` runs on a ``batch`` x C x ``resolution`` x ``resolution`` input,
    with the input shape each one sees (read by hooks from one eval-mode forward on the
    meta device when the model is there, else on zeros), and the modules by unit name."""
    modules = dict(_unit_modules(model))
    shapes: dict[str, tuple[int, ...]] = {}
    def record(name: str):
        def hook(module, args) -> None:  # returns None: the input goes on unchanged
            maps = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args  # NASNet: one (h_prev, h)
            if len(maps) != 1:
                raise ValueError(f"latency tables time units of one input map; {name} ({type(module).__name__}) "
                                 f"takes {len(maps)} (a NASNet cell reads the two cells before it), so this network "
                                 f"has no table")
            shapes.setdefault(name, tuple(args[0].shape))
        return hook

    hooks = [m.register_forward_pre_hook(record(name)) for name, m in modules.items()]
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(batch, getattr(model, "in_chans", 3), resolution, resolution, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    units = [Unit(name, type(modules[name]).__name__, shapes[name], _key(modules[name], shapes[name]))
             for name in modules if name in shapes]
    return units, modules


class _Alone(nn.Module):
    """A unit as a model of its own, with the input channels the exporters read."""

    def __init__(self, unit: nn.Module, in_chans: int):
        super().__init__()
        self.unit, self.in_chans = unit, in_chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unit(x)


def _measure(module: nn.Module, shape: tuple[int, ...], backend: str, threads: int, warmup: int, runs: int) -> float:
    """The median latency (ms) of ``module`` alone on an input of ``shape`` on ``backend``."""
    batch, chans, height, width = shape
    if height != width:
        raise ValueError(f"latency tables measure square maps; a unit sees {height}x{width}")
    alone = _Alone(copy.deepcopy(module).float().cpu(), chans).eval()
    with tempfile.TemporaryDirectory() as work:
        run = build_backends(alone, height, (backend,), threads, work)[backend]
        return time_calls(run, torch.randn(shape), threads=threads, warmup=warmup, runs=runs).median_ms


def build_table(model: nn.Module, resolution: int, backend: str, *, threads: int = 1, batch: int = 1,
                warmup: int = 5, runs: int = 20, table: LatencyTable | None = None,
                progress: bool = False) -> tuple[LatencyTable, list[Unit], int]:
    """Measure the units of ``model`` at ``resolution`` the table does not hold yet (and the
    call overhead, once), saving after each; returns the table, the network's units and how
    many were measured now."""
    table = open_table(backend, threads, batch) if table is None else table
    if (table.identity["backend"], table.identity["threads"], table.identity["batch"]) != (backend, threads, batch):
        raise ValueError(f"the table given is for {table.identity['backend']}, {table.identity['threads']} "
                         f"thread(s), batch {table.identity['batch']}, not {backend}, {threads}, {batch}")
    units, modules = network_units(model, resolution, batch)
    todo = table.missing(units)
    bar = steps(len(todo) + (table.overhead_ms is None), f"latency table ({backend})", progress)
    today = datetime.date.today().isoformat()
    if table.overhead_ms is None:
        bar.set_postfix_str(OVERHEAD_KEY)
        table.overhead_ms = _measure(nn.Conv2d(8, 8, 1, bias=False), (batch, 8, 4, 4), backend, threads, warmup, runs)
        table.save()
        bar.update()
    for unit in todo:
        bar.set_postfix_str(f"{unit.name} ({unit.kind})")
        ms = _measure(modules[unit.name], unit.input_shape, backend, threads, warmup, runs)
        table.units[unit.key] = {"ms": ms, "kind": unit.kind, "input": list(unit.input_shape), "measured": today}
        table.save()
        bar.update()
    bar.close()
    return table, units, len(todo)


@dataclass(frozen=True)
class Prediction:
    total_ms: float
    overhead_ms: float
    units: tuple[tuple[Unit, float], ...]  # each unit and its latency alone (ms)

    def to_dict(self) -> dict:
        return {"total_ms": self.total_ms, "overhead_ms": self.overhead_ms,
                "units": [{"name": u.name, "kind": u.kind, "input": list(u.input_shape), "ms": ms}
                          for u, ms in self.units]}


def predict_latency(model: nn.Module, resolution: int, table: LatencyTable) -> Prediction:
    """The overhead plus each unit's table latency less the overhead (none below zero)."""
    units, _ = network_units(model, resolution, table.identity["batch"])
    missing = table.missing(units)
    if missing or table.overhead_ms is None:
        raise ValueError(f"{len(missing)} unit(s) of this network at {resolution}x{resolution} are not in the "
                         f"{table.identity['backend']} table ({table.path}); build them first "
                         f"(build_table, or `lightnets latency-table MODEL --backend {table.identity['backend']}`)")
    timed = tuple((u, table.units[u.key]["ms"]) for u in units)
    total = table.overhead_ms + sum(max(0.0, ms - table.overhead_ms) for _, ms in timed)
    return Prediction(total, table.overhead_ms, timed)


class LatencyProbe:
    """A network's latency at ``resolution`` on ``table``'s backend, threads and batch, two
    ways: predicted from the table (its missing units measured first) and measured whole
    (:func:`~lightnets.bench.backends.compare_backends`, 3 interleaved rounds). NetAdapt and
    the search ask this one object, so that a test can give them a latency of its own."""

    def __init__(self, table: LatencyTable, resolution: int, *, warmup: int = 5, runs: int = 20):
        self.table, self.resolution, self.warmup, self.runs = table, resolution, warmup, runs

    def predict(self, model: nn.Module) -> float:
        ident = self.table.identity
        build_table(model.eval(), self.resolution, ident["backend"], threads=ident["threads"], batch=ident["batch"],
                    warmup=self.warmup, runs=self.runs, table=self.table)
        return predict_latency(model, self.resolution, self.table).total_ms

    def predict_config(self, config: dict) -> float:
        from ..models import create_model_from_config

        return self.predict(create_model_from_config(config))

    def measure(self, model: nn.Module) -> float:
        from ..bench.backends import compare_backends

        ident = self.table.identity
        return compare_backends(model.eval(), self.resolution, (ident["backend"],), threads=ident["threads"],
                                batch=ident["batch"], warmup=self.warmup, runs=self.runs,
                                rounds=3)[ident["backend"]].median_ms
