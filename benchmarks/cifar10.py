"""Train MobileNets on the full CIFAR-10 under a fixed wall-clock budget, on this CPU.

    .venv/bin/python benchmarks/cifar10.py --minutes 30            # every model, 30 min each
    .venv/bin/python benchmarks/cifar10.py --models mobilenet_v2_050 --minutes 10

Reads ../shared/data/cifar10-jpeg.tar.gz (extracted once into benchmarks/.cache/), trains
each model with lightnets' engine at 32x32 (CIFAR-style pad-and-crop + flip), validates on
the 10,000 test images after every epoch, and writes docs/benchmarks/cifar10.md with top-1
against minutes, training images/s, and a side-by-side images/s comparison with
torchvision's implementation of the same network in one identical training-step loop.
Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import statistics
import tarfile
import time
from pathlib import Path

import torch
from torch import nn

from doc_sections import write_doc  # benchmarks/doc_sections.py, beside this script
from lightnets import create_model, profile
from lightnets.data import Preprocessing, open_data
from lightnets.io import atomic_path, atomic_write_text
from lightnets.training import TrainConfig, get_recipe, train

ROOT = Path(__file__).resolve().parents[1]
TARBALL = ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
CACHE = ROOT / "benchmarks" / ".cache"
TRAIN_IMAGES = 50_000

# name -> (lightnets model, width, torchvision builder or None)
MODELS = {
    "mobilenet_v1_050": ("mobilenet_v1", 0.5, None),
    "mobilenet_v2_050": ("mobilenet_v2", 0.5, lambda: __import__("torchvision").models.mobilenet_v2(
        num_classes=10, width_mult=0.5)),
    "mobilenet_v2_100": ("mobilenet_v2", 1.0, lambda: __import__("torchvision").models.mobilenet_v2(num_classes=10)),
    "mobilenet_v3_small": ("mobilenet_v3_small", 1.0, lambda: __import__("torchvision").models.mobilenet_v3_small(
        num_classes=10)),
}
# sgd-cosine, shortened for runs of tens of epochs: 1 warm-up epoch instead of 5, and the
# weight decay usual for CIFAR-10 (5e-4) instead of ImageNet's 4e-5.
RECIPE = dataclasses.replace(get_recipe("sgd-cosine"), name="sgd-cosine-cifar", warmup_epochs=1, weight_decay=5e-4)
BATCH, LR = 128, 0.1


def extract(tarball: Path) -> Path:
    root = CACHE / "cifar10"
    if not (root / "test").is_dir():
        if not tarball.is_file():
            raise SystemExit(f"CIFAR-10 archive not found: {tarball}")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(CACHE, filter="data")
    return root


def step_throughput(models: dict[str, nn.Module], rounds: int = 3, steps: int = 10) -> dict[str, float]:
    """Training images/s of each model in one identical loop (SGD step on random 32x32
    batches), interleaved round by round so drifts of a shared machine hit all alike."""
    x, y = torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,))
    loss_fn = nn.CrossEntropyLoss()
    opts = {n: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True) for n, m in models.items()}
    rates: dict[str, list[float]] = {n: [] for n in models}
    for _ in range(rounds):
        for name, model in models.items():
            model.train()
            for i in range(steps + 2):  # two warm-up steps
                if i == 2:
                    t0 = time.perf_counter()
                opts[name].zero_grad(set_to_none=True)
                loss_fn(model(x), y).backward()
                opts[name].step()
            rates[name].append(steps * BATCH / (time.perf_counter() - t0))
    return {n: statistics.median(r) for n, r in rates.items()}


def pipeline_throughput(model: nn.Module, dataset, workers: int, batches: int = 25) -> float:
    """Training images/s through the real input pipeline (decode, augment, batch) plus
    the training step, as the engine runs it, after two warm-up batches."""
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers, drop_last=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for i, (x, y) in enumerate(loader):
        if i == 2:
            t0 = time.perf_counter()
        if i == batches + 2:
            break
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    return batches * BATCH / (time.perf_counter() - t0)


def plan_epochs(rate: float, minutes: float, eval_images: int) -> int:
    """Epochs whose training and per-epoch test pass (forward only, ~3x faster) fit the
    budget, with a 10% margin so that the cosine schedule ends inside it."""
    epoch_seconds = TRAIN_IMAGES / rate + eval_images / (3 * rate)
    return max(1, math.floor(0.9 * minutes * 60 / epoch_seconds))


def run_model(key: str, minutes: float, data, pre: Preprocessing, out: Path) -> dict:
    name, width, tv_builder = MODELS[key]
    model = create_model(name, width=width, num_classes=10)
    contenders = {"lightnets": model}
    if tv_builder is not None:
        contenders["torchvision"] = tv_builder()
    rates = step_throughput(contenders)
    probe = copy.deepcopy(model)
    pipeline = {w: pipeline_throughput(probe, data.train, w) for w in (0, 1)}
    workers = max(pipeline, key=pipeline.get)
    epochs = plan_epochs(pipeline[workers], minutes, len(data.val))
    print(f"{key}: step-loop img/s {rates}; pipeline img/s by workers {pipeline}; "
          f"planning {epochs} epochs with {workers} worker(s) in {minutes:g} min", flush=True)
    run_dir = out / key
    result = train(model, data, pre, TrainConfig(out_dir=run_dir, recipe=RECIPE, epochs=epochs, batch_size=BATCH,
                                                  lr=LR, max_minutes=minutes, workers=workers, progress=False))
    elapsed, curve = 0.0, []
    for record in result.history:
        elapsed += record["epoch_seconds"]
        curve.append((elapsed / 60, record["val_top1"]))
    prof = profile(create_model(name, width=width, num_classes=10), 32)
    return {
        "key": key, "model": name, "width": width, "params": prof.params, "macs": prof.macs,
        "budget_min": minutes, "epochs_planned": epochs, "epochs_done": result.epochs_done,
        "best_top1": result.best_top1, "final_top1": result.history[-1]["val_top1"], "curve": curve,
        "train_images_per_s": statistics.median(r["train_images_per_s"] for r in result.history),
        "step_rates": rates, "pipeline_rates": pipeline, "workers": workers, "stopped_early": result.stopped_early, "checkpoint": str(result.best),
    }


def plot(results: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for r in results:
        xs, ys = zip(*r["curve"])
        ax.plot(xs, ys, "o-", ms=3, label=f"{r['key']} ({r['macs'] / 1e6:.1f}M MACs)")
    ax.set(xlabel="wall-clock minutes (training + per-epoch test)", ylabel="CIFAR-10 test top-1 (%)",
           title="CIFAR-10 at 32x32 on a 2-core CPU")
    ax.grid(alpha=0.3)
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def write_doc(results: list[dict], path: Path) -> None:
    """The tables and curves from ``results`` as the generated section of ``path``, dated by
    the newest run among them; the hand-written analysis already in ``path`` is kept (see
    doc_sections.py)."""
    rows = []
    for r in results:
        tv = r["step_rates"].get("torchvision")
        ratio = f"{r['step_rates']['lightnets'] / tv:.2f}" if tv else "n/a (no torchvision model)"
        rows.append(f"| {r['key']} | {r['params'] / 1e6:.2f} | {r['macs'] / 1e6:.2f} | {r['budget_min']:g} | "
                    f"{r['epochs_done']}/{r['epochs_planned']} | **{r['best_top1']:.2f}** | "
                    f"{r['train_images_per_s']:.0f} | {r['step_rates']['lightnets']:.0f} | "
                    f"{round(tv) if tv else '-'} | {ratio} |")
    curves = "\n".join(f"- {r['key']}: " + ", ".join(f"{m:.1f} min {t:.1f}%" for m, t in r["curve"])
                       for r in results)
    text = f"""Made by {" and ".join(sorted({f"`{r['command']}` ({r['date']})" for r in results}))} ({torch.get_num_threads()} threads,
PyTorch {torch.__version__}). Full CIFAR-10 (50,000 train / 10,000 test JPEGs from
`../shared/data/cifar10-jpeg.tar.gz`), 32x32 input (the ImageNet architectures unchanged:
total stride 32, so the last feature map is 1x1), CIFAR-style pad-4 crop and flip, recipe
`{RECIPE.name}` (SGD Nesterov 0.9, peak lr {LR} at batch {BATCH}, {RECIPE.warmup_epochs:g}
warm-up epoch, cosine to 0, label smoothing {RECIPE.label_smoothing:g}, weight decay
{RECIPE.weight_decay:g} off depthwise/BN/bias). Before each run a probe times the real input
pipeline with 0 and 1 data-loading workers; the faster is used and the epochs are planned
from it to fill the budget; the engine stops the run at the budget regardless. Top-1 is on the 10,000 test images after each epoch.

| model | params (M) | MACs @32 (M) | budget (min) | epochs done/planned | best top-1 (%) | engine train img/s | step-loop img/s: lightnets | torchvision | ratio |
|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

"engine train img/s" is the median over epochs of the engine's own measurement (data
loading included). The step-loop columns time the same training step (forward, loss,
backward, SGD) on random batches of {BATCH} for lightnets' and torchvision's build of the
same network, interleaved in one run; their ratio is the cost of the implementation alone.

Top-1 against wall-clock minutes (training and per-epoch test evaluation):

{curves}

![top-1 vs minutes](cifar10_top1.png)
"""
    write_doc(path, "# CIFAR-10 on this CPU", Path(__file__).name, max(r["date"] for r in results), text,
              "## What limits it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget per model")
    parser.add_argument("--tarball", type=Path, default=TARBALL)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "cifar10")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks" / "cifar10.md")
    parser.add_argument("--doc-only", action="store_true", help="rewrite the document and plot from the saved results")
    args = parser.parse_args()
    keys = [k for k in args.models.split(",") if k]
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}; valid: {', '.join(MODELS)}")
    pre = Preprocessing.cifar(32)
    data = None if args.doc_only else open_data(extract(args.tarball), pre=pre)
    results_file = args.out / "results.json"
    results = {r["key"]: r for r in json.loads(results_file.read_text())} if results_file.is_file() else {}
    command = f"python benchmarks/cifar10.py --models {','.join(keys)} --minutes {args.minutes:g}"
    for key in [] if args.doc_only else keys:
        results[key] = {**run_model(key, args.minutes, data, pre, args.out), "command": command,
                        "date": time.strftime("%Y-%m-%d")}
        atomic_write_text(results_file, json.dumps(list(results.values()), indent=1))
    ordered = [results[k] for k in MODELS if k in results]
    plot(ordered, args.doc.with_name("cifar10_top1.png"))
    write_doc(ordered, args.doc)
    print(args.doc.read_text())


if __name__ == "__main__":
    main()
