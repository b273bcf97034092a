"""Latency-aware adaptation on this machine, measured: how well the latency tables predict a
network's latency, and NetAdapt against the width multiplier on CIFAR-10.

    .venv/bin/python benchmarks/search.py predictor [--models 'mobilenet*'] [--backends eager,ort-fp32] [--resume]
    .venv/bin/python benchmarks/search.py netadapt [--epochs 4] [--long-epochs 2]
    .venv/bin/python benchmarks/search.py doc

``predictor``: for every registered model matching ``--models`` at 224x224 (a model that takes
no 224 input at its own: MobileFaceNet's 112), batch 1, 1 thread, on each backend: the table is built (lightnets.search.build_table, in a cache of
its own under benchmarks/.cache/ so a user's cache is left alone), the prediction read from
it, and the network timed whole in 3 interleaved rounds (lightnets.bench.compare_backends).
Each measurement is appended to benchmarks/.cache/search_predictor.jsonl as it is taken;
``--resume`` keeps the same date's and goes on.

``netadapt``: MobileNetV1 0.5 in its small-input form on CIFAR-10 at 32x32 (the
docs/benchmarks/cifar10.md model), trained with the sgd-cifar recipe for ``--epochs`` on the
training images less the 2% NetAdapt holds out; NetAdapt to half its measured ort-fp32
latency (1 thread), then ``--long-epochs`` of long-term fine-tuning; against it, the uniform
width multiplier whose measured latency is nearest the NetAdapt result's, trained from
scratch for ``--epochs`` + ``--long-epochs`` with the same recipe. Top-1 of all three on the
test set. Every stage resumes from its files in runs/search/ when killed.

Each part saves its results in benchmarks/results/search.json (committed, so that a new checkout
can rebuild the document or rerun one part) and rewrites the generated section of
docs/benchmarks/search.md (keeping its hand-written commentary, see doc_sections.py).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import torch

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets import create_model, list_models, profile
from lightnets.bench.peak import cpu_model
from lightnets.bench.progress import steps
from lightnets.cli.table import format_table
from lightnets.io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
PARTIAL = CACHE / "search_predictor.jsonl"
OUT = ROOT / "runs" / "search"
RESULTS = ROOT / "benchmarks" / "results" / "search.json"
DOC = ROOT / "docs" / "benchmarks" / "search.md"
THREADS = 1  # latency: batch 1, one thread
RESOLUTION = 224  # the predictor's input for every model that takes it (MobileFaceNet takes at most 112)
TRAIN_THREADS = 2

# NetAdapt against the multiplier: the model, data and schedule (see the module docstring)
BASE = ("mobilenet_v1", 0.5)
HELD_OUT, SEED = 0.02, 0
NETADAPT = dict(target_ratio=0.5, backend="ort-fp32", threads=THREADS, initial_reduction=0.06, decay=0.96,
                short_steps=20, lr=0.01, batch_size=64, held_out=HELD_OUT, seed=SEED)
MULTIPLIERS = (0.5, 0.45, 0.4, 0.375, 0.35, 0.325, 0.3, 0.275, 0.25, 0.2)


def measure(name: str, backend: str, runs: int) -> dict:
    from lightnets.search import network_units

    torch.manual_seed(0)
    model = create_model(name).eval()
    takes = model.min_input <= RESOLUTION and (model.max_input is None or RESOLUTION <= model.max_input)
    size = RESOLUTION if takes else model.default_cfg["input_size"][-1]
    probe = latency_probe(size, backend, runs)
    began = time.perf_counter()
    predicted = probe.predict(model)
    table_s = time.perf_counter() - began
    whole = probe.measure(model)
    units, _ = network_units(model, size)
    return {"model": name, "backend": backend, "resolution": size, "units": len(units),
            "distinct": len({u.key for u in units}), "predicted_ms": predicted, "measured_ms": whole,
            "error": predicted / whole - 1, "table_s": table_s, "date": time.strftime("%Y-%m-%d")}


def latency_probe(size: int, backend: str, runs: int = 20):
    """This machine's table for ``backend`` at batch 1, :data:`THREADS` thread(s)."""
    from lightnets.search import LatencyProbe, open_table

    return LatencyProbe(open_table(backend, THREADS, 1), size, runs=runs)


def run_predictor(pattern: str, backends: list[str], runs: int, resume: bool) -> dict:
    names = [n for n in list_models() if any(fnmatch.fnmatch(n, p) for p in pattern.split(","))]
    if not names:
        raise SystemExit(f"no registered model matches {pattern!r}")
    today = time.strftime("%Y-%m-%d")
    done = {}
    if resume and PARTIAL.is_file():
        done = {(r["model"], r["backend"]): r for r in map(json.loads, PARTIAL.read_text().splitlines())
                if r["date"] == today}
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        PARTIAL.write_text("")
    bar = steps(len(names) * len(backends), "predictor", True)
    untabled = {}  # model -> why the latency tables cannot split it
    for name in names:
        for backend in backends:
            bar.set_postfix_str(f"{name} {backend}")
            if (name, backend) not in done and name not in untabled:
                try:
                    done[(name, backend)] = measure(name, backend, runs)
                except ValueError as e:
                    untabled[name] = str(e)
                else:
                    with PARTIAL.open("a") as f:
                        f.write(json.dumps(done[(name, backend)]) + "\n")
            bar.update()
    bar.close()
    command = "python benchmarks/search.py predictor" + (f" --models '{pattern}'" if pattern != "*" else "")
    return {"rows": [done[(n, b)] for n in names for b in backends if (n, b) in done], "backends": backends,
            "untabled": untabled, "command": command, "date": today}


def test_top1(path: Path, data) -> float:
    from torch.utils.data import DataLoader

    from lightnets.checkpoint import load_model
    from lightnets.training.evaluate import evaluate

    return evaluate(load_model(path), DataLoader(data.val, batch_size=256), len(data.classes)).top1


def trained(model, splits, pre, out: Path, epochs: int):
    """``model`` trained with the sgd-cifar recipe (resumed from ``out`` when a run is there)."""
    from lightnets.training import TrainConfig, train

    config = TrainConfig(out, recipe="sgd-cifar", epochs=epochs, batch_size=128, threads=TRAIN_THREADS,
                         progress=False, channels_last=True, bf16=True)
    return train(model, splits, pre, config, resume=(out / "last.pth").is_file())


def run_minutes(result) -> float:
    """A training run's wall-clock minutes, from its per-epoch record (a resumed run too)."""
    return sum(r["epoch_seconds"] for r in result.history) / 60


def run_netadapt(tarball: Path, epochs: int, long_epochs: int, previous: dict | None) -> dict:
    from cifar10 import extract  # benchmarks/cifar10.py: the archive, unpacked once

    from lightnets.checkpoint import load_model
    from lightnets.data import DataSplits, Preprocessing, open_data
    from lightnets.data.selection_split import selection_split
    from lightnets.search import open_table
    from lightnets.search.netadapt import NetAdaptConfig, netadapt

    torch.set_num_threads(TRAIN_THREADS)
    pre = Preprocessing.cifar(32)
    data = open_data(extract(tarball), pre=pre, cache_dir=CACHE)
    fit, held = selection_split(data.train, pre, HELD_OUT, SEED)  # the images NetAdapt will hold out
    splits = DataSplits(fit, held, data.classes, source="CIFAR-10 train less NetAdapt's held-out images",
                        root=data.root)
    name, width = BASE
    torch.manual_seed(SEED)
    base_run = trained(create_model(name, width=width, num_classes=10, small_input=True), splits, pre, OUT / "base",
                       epochs)
    base_minutes = run_minutes(base_run)
    base = load_model(base_run.best)
    print(f"base: held-out top-1 {base_run.best_score:.2f}% after {epochs} epochs ({base_minutes:.1f} min)", flush=True)

    began = time.perf_counter()
    config = NetAdaptConfig(OUT / "netadapt", long_epochs=long_epochs, progress=False, channels_last=True, bf16=True,
                            **NETADAPT)
    table = open_table(config.backend, THREADS, 1)
    resumed = (OUT / "netadapt" / "netadapt.json").is_file()
    result = netadapt(base, data, pre, config, table, resume=resumed, say=lambda line: print(line, flush=True))
    netadapt_minutes = (time.perf_counter() - began) / 60
    if resumed and previous:  # a resumed run's own time is not NetAdapt's: keep the first run's
        netadapt_minutes = previous["rows"][1]["minutes"]
    adapted = load_model(result.final)
    shutil.copyfile(result.trajectory, DOC.with_name("search_netadapt.png"))

    # the multiplier whose measured latency is nearest the NetAdapt result's, measured side by side
    torch.set_num_threads(THREADS)
    probe = latency_probe(32, config.backend)
    target, base_ms = probe.measure(adapted), probe.measure(base)
    candidates = []
    for w in MULTIPLIERS:
        model = create_model(name, width=w, num_classes=10, small_input=True)
        candidates.append({"width": w, "latency_ms": probe.measure(model),
                           "macs": profile(model, 32).macs})
    torch.set_num_threads(TRAIN_THREADS)
    chosen = min(candidates, key=lambda c: abs(c["latency_ms"] - target))
    torch.manual_seed(SEED)
    multiplier_run = trained(create_model(name, width=chosen["width"], num_classes=10, small_input=True), splits,
                             pre, OUT / f"multiplier-{chosen['width']:g}", epochs + long_epochs)
    multiplier_minutes = run_minutes(multiplier_run)
    rows = []
    for label, path, ms, minutes in (
            (f"{name} {width:g} (base)", base_run.best, base_ms, base_minutes),
            (f"NetAdapt of the base to {NETADAPT['target_ratio']:g}x", result.final, target, netadapt_minutes),
            (f"{name} {chosen['width']:g} (multiplier)", multiplier_run.best, chosen["latency_ms"],
             multiplier_minutes)):
        model = load_model(path)
        counted = profile(model, 32)
        rows.append({"network": label, "latency_ms": ms, "macs": counted.macs, "params": counted.params,
                     "test_top1": test_top1(path, data), "minutes": minutes})
    return {"rows": rows, "candidates": candidates, "start": result.start, "target_ms": result.target_ms,
            "iterations": [{k: v for k, v in r.items() if k not in ("proposals", "widths")} for r in result.iterations],
            "widths": adapted.widths, "multiplier_widths": create_model(name, width=chosen["width"],
                                                                        small_input=True).widths,
            "epochs": epochs, "long_epochs": long_epochs, "netadapt": NETADAPT, "cpu": cpu_model(),
            "command": f"python benchmarks/search.py netadapt --epochs {epochs} --long-epochs {long_epochs}",
            "date": time.strftime("%Y-%m-%d")}


def render_predictor(part: dict) -> str:
    rows, backends = part["rows"], part["backends"]
    table = format_table(
        ["model", "backend", "input", "units (distinct)", "predicted (ms)", "measured (ms)", "error %"],
        [[r["model"], r["backend"], r["resolution"], f"{r['units']} ({r['distinct']})", f"{r['predicted_ms']:.2f}",
          f"{r['measured_ms']:.2f}", f"{100 * r['error']:+.1f}"] for r in rows])
    summary = []
    for backend in backends:
        errors = [abs(r["error"]) for r in rows if r["backend"] == backend]
        if errors:
            summary.append([backend, len(errors), f"{100 * statistics.median(errors):.1f}",
                            f"{100 * max(errors):.1f}"])
    untabled = "".join(f"- {name}: {why}\n" for name, why in part.get("untabled", {}).items())
    return (f"### Predicted against measured latency\n\nMade by `{part['command']}` on {part['date']} "
            f"({cpu_model()}, {os.cpu_count()} cores, batch 1, {THREADS} thread).\n\n```\n" + table + "\n```\n\n"
            "Relative error per backend:\n\n```\n"
            + format_table(["backend", "models", "median |error| %", "max |error| %"], summary) + "\n```\n"
            + (f"\nNot in the table, with the reason the tables give:\n\n{untabled}" if untabled else ""))


def render_netadapt(part: dict) -> str:
    table = format_table(
        ["network", "ort-fp32 latency (ms)", "MACs (M)", "params (M)", "test top-1 (%)", "wall (min)"],
        [[r["network"], f"{r['latency_ms']:.3f}", r["macs"] / 1e6, r["params"] / 1e6, r["test_top1"],
          f"{r['minutes']:.1f}"] for r in part["rows"]])
    steps_ = format_table(
        ["iteration", "narrowed", "channels", "predicted (ms)", "measured (ms)", "held-out top-1 (%)"],
        [[0, "-", "-", f"{part['start']['predicted_ms']:.3f}", f"{part['start']['measured_ms']:.3f}",
          part["start"]["top1"]]]
        + [[r["iteration"], r["group"], f"{r['from']} -> {r['to']}", f"{r['predicted_ms']:.3f}",
            f"{r['measured_ms']:.3f}", r["top1"]] for r in part["iterations"]])
    multipliers = format_table(["width", "ort-fp32 latency (ms)", "MACs (M)"],
                               [[f"{c['width']:g}", f"{c['latency_ms']:.3f}", c["macs"] / 1e6]
                                for c in part["candidates"]])
    n = part["netadapt"]
    return (f"### NetAdapt against the width multiplier (CIFAR-10, 32x32)\n\nMade by `{part['command']}` on "
            f"{part['date']} ({part['cpu']}; training on {TRAIN_THREADS} threads, latency batch 1, {THREADS} "
            f"thread). Base and multiplier trained with sgd-cifar (batch 128, channels_last + bf16) on the "
            f"training images less the {100 * n['held_out']:g}% NetAdapt holds out; NetAdapt: target "
            f"{n['target_ratio']:g}x of the base's measured latency ({part['target_ms']:.3f} ms), reduction "
            f"{n['initial_reduction']:g} of the start decaying {n['decay']:g} per iteration, {n['short_steps']} "
            f"short-term steps per proposal (lr {n['lr']:g}), {part['long_epochs']} long-term epochs. The multiplier "
            f"trains {part['epochs'] + part['long_epochs']} epochs from scratch.\n\n```\n{table}\n```\n\n"
            f"NetAdapt's iterations (trajectory: search_netadapt.png):\n\n```\n{steps_}\n```\n\n"
            f"NetAdapt's widths: `{json.dumps(part['widths'])}`\n\nThe multiplier's: "
            f"`{json.dumps(part['multiplier_widths'])}`\n\nMultipliers timed to choose the one nearest NetAdapt's "
            f"latency:\n\n```\n{multipliers}\n```\n\n![NetAdapt trajectory](search_netadapt.png)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("predictor", "netadapt", "doc"))
    parser.add_argument("--models", default="*", help="predictor: comma-separated shell-style patterns of names (default: all)")
    parser.add_argument("--backends", default="eager,ort-fp32", help="predictor: comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="predictor: timed runs per measurement")
    parser.add_argument("--resume", action="store_true", help=f"predictor: keep today's rows in {PARTIAL.name}")
    parser.add_argument("--epochs", type=int, default=4, help="netadapt: the base's training epochs")
    parser.add_argument("--long-epochs", type=int, default=2, help="netadapt: long-term fine-tuning epochs")
    parser.add_argument("--tarball", type=Path, default=ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz")
    args = parser.parse_args()
    os.environ["XDG_CACHE_HOME"] = str(CACHE / "xdg")  # the benchmark's own latency tables
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.part == "predictor":
        results["predictor"] = run_predictor(args.models, args.backends.split(","), args.runs, args.resume)
    elif args.part == "netadapt":
        results["netadapt"] = run_netadapt(args.tarball, args.epochs, args.long_epochs, results.get("netadapt"))
    atomic_write_text(RESULTS, json.dumps(results, indent=1) + "\n")
    parts = [render(results[k]) for k, render in (("predictor", render_predictor), ("netadapt", render_netadapt))
             if k in results]
    date = max(results[k]["date"] for k in ("predictor", "netadapt") if k in results)
    commands = " and ".join(f"`{results[k]['command']}`" for k in ("predictor", "netadapt") if k in results)
    print(write_doc(DOC, "# Latency-aware adaptation: predictor, NetAdapt", Path(__file__).name, date,
                    f"Made by {commands} ({date}).\n\n" + "\n".join(parts), "## What the tables show"))


if __name__ == "__main__":
    main()
