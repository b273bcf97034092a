"""CIFAR-10 on this CPU: training speed, accuracy in a wall-clock budget, and fine-tuning.

    .venv/bin/python benchmarks/cifar10.py speed                      # what speeds a step up
    .venv/bin/python benchmarks/cifar10.py budget --minutes 30        # top-1 in 30 min, each model
    .venv/bin/python benchmarks/cifar10.py budget --models resnet18_025 --minutes 30
    .venv/bin/python benchmarks/cifar10.py finetune                   # 5 classes -> the other 5
    .venv/bin/python benchmarks/cifar10.py doc                        # rewrite the document only

Reads ../shared/data/cifar10-jpeg.tar.gz (extracted once into benchmarks/.cache/, the
decoded images cached there too), trains lightnets' small-input models (``small_input=True``:
total stride 8, a 4x4 last map at 32x32) with lightnets' engine and recipe ``sgd-cifar``,
and writes docs/benchmarks/cifar10.md and its PNGs. Each part saves its results to
benchmarks/results/cifar10.json (committed, so that any checkout can rebuild the document or rerun
one part) as it finishes, and the document is rebuilt from all saved results, so parts can be
run one at a time; the training runs themselves go to runs/cifar10/. Not a test: the numbers depend on the machine,
so every time-budget result is printed beside this host's training-step rate and matmul peak.
"""

from __future__ import annotations

import argparse
import copy
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
from lightnets.bench.peak import measure_peak
from lightnets.data import DataSplits, Preprocessing, open_data
from lightnets.data.datasets import EncodedImages
from lightnets.data.decoded import DecodedImages
from lightnets.data.transforms import train_transform
from lightnets.io import atomic_path, atomic_write_text
from lightnets.training import TrainConfig, get_recipe, train
from lightnets.training.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
TARBALL = ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
CACHE = ROOT / "benchmarks" / ".cache"
DOC = ROOT / "docs" / "benchmarks" / "cifar10.md"
RESULTS = ROOT / "benchmarks" / "results" / "cifar10.json"
TRAIN_IMAGES = 50_000
RECIPE = get_recipe("sgd-cifar")
PRE = Preprocessing.cifar(32)
BATCH = 128

# name -> (lightnets model, width): every one the small-input form
MODELS = {
    "resnet18_025": ("resnet18", 0.25),
    "mobilenet_v2_050": ("mobilenet_v2", 0.5),
    "mobilenet_v3_small": ("mobilenet_v3_small", 1.0),
    "mobilenet_v1_050": ("mobilenet_v1", 0.5),
}
FINETUNE_MODEL = "resnet18_025"
SOURCE_CLASSES, TARGET_CLASSES = range(0, 5), range(5, 10)  # airplane..deer -> dog..truck
SHOTS = 100  # training images per target class


def build(key: str, num_classes: int = 10) -> nn.Module:
    name, width = MODELS[key]
    return create_model(name, width=width, num_classes=num_classes, small_input=True)


def extract(tarball: Path) -> Path:
    root = CACHE / "cifar10"
    if not (root / "test").is_dir():
        if not tarball.is_file():
            raise SystemExit(f"CIFAR-10 archive not found: {tarball}")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(CACHE, filter="data")
    return root


def host() -> dict:
    """This host's fp32 matmul peak at the runs' two threads (measured once, cached)."""
    peak = measure_peak(2)
    return {"threads": torch.get_num_threads(), "peak_gmacs": peak.gmacs, "torch": torch.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


# --- speed -------------------------------------------------------------------------------

KEEP_ABOVE = 1.05  # a speed option is kept for the budget runs when its step rate is 5% higher or more


EAGER_VARIANTS = {  # name -> the TrainConfig speed options it sets
    "eager": {},
    "channels_last": {"channels_last": True},
    "bf16": {"bf16": True},
    "channels_last + bf16": {"channels_last": True, "bf16": True},
}


def in_layout(model: nn.Module, options: dict) -> nn.Module:
    """A copy of ``model`` in the memory layout ``options`` train in."""
    nhwc = options.get("channels_last", False)
    return copy.deepcopy(model).to(memory_format=torch.channels_last if nhwc else torch.contiguous_format)


def train_step(model: nn.Module, optimizer, loss_fn, x: torch.Tensor, y: torch.Tensor, options: dict) -> None:
    """One SGD step as the engine takes it under the speed ``options`` (channels-last input,
    bf16 autocast of the forward pass and loss)."""
    if options.get("channels_last"):
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=options.get("bf16", False)):
        loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()


def step_rates(variants: dict[str, tuple[nn.Module, dict]], rounds: int = 3, steps: int = 8) -> dict[str, float]:
    """Training images/s of one SGD step loop on random 32x32 batches for each variant (a
    model and its speed options: channels-last input, bf16 autocast), interleaved round by
    round, as the engine runs the step."""
    x, y = torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,))
    loss_fn = nn.CrossEntropyLoss()
    opts = {n: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True) for n, (m, _) in variants.items()}
    rates: dict[str, list[float]] = {n: [] for n in variants}
    for _ in range(rounds):
        for name, (model, options) in variants.items():
            model.train()
            for i in range(steps + 2):  # two warm-up steps
                if i == 2:
                    t0 = time.perf_counter()
                train_step(model, opts[name], loss_fn, x, y, options)
            rates[name].append(steps * BATCH / (time.perf_counter() - t0))
    return {n: statistics.median(r) for n, r in rates.items()}


def fastest_eager(rates: dict[str, float]) -> str:
    """The eager variant the budget runs use: each option must earn its place, so a variant
    with more options replaces the one kept only when it is KEEP_ABOVE times faster."""
    kept = "eager"
    for name in sorted(EAGER_VARIANTS, key=lambda n: len(EAGER_VARIANTS[n])):
        if rates[name] >= KEEP_ABOVE * rates[kept]:
            kept = name
    return kept


def loader_rate(dataset, workers: int, model: nn.Module | None = None, options: dict | None = None,
                batches: int = 30) -> float:
    """Images/s through a shuffled DataLoader of ``dataset`` (with the training step of
    ``model`` under its speed ``options`` when given), after two warm-up batches."""
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers, drop_last=True)
    opt = None if model is None else torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for i, (x, y) in enumerate(loader):
        if i == 2:
            t0 = time.perf_counter()
        if i == batches + 2:
            break
        if model is not None:
            train_step(model, opt, loss_fn, x, y, options or {})
    return batches * BATCH / (time.perf_counter() - t0)


def run_speed(keys: list[str], data: DataSplits, root: Path, pre: Preprocessing) -> dict:
    rows = []
    for key in keys:
        model = build(key)
        rates = step_rates({name: (in_layout(model, options), options) for name, options in EAGER_VARIANTS.items()})
        best = fastest_eager(rates)
        options = EAGER_VARIANTS[best]
        began, compile_error, compiled_rate = time.perf_counter(), None, None
        try:  # torch.compile of the fastest eager variant
            compiled = torch.compile(in_layout(model, options))
            step_rates({"c": (compiled, options)}, rounds=1, steps=1)  # compile outside the timing
            compiled_rate = step_rates({"c": (compiled, options)})["c"]
        except Exception as e:  # noqa: BLE001 - a compiler that fails here is a result, not a crash
            compile_error = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        compile_s = time.perf_counter() - began
        rows.append({"key": key, "rates": rates, "fastest_eager": best, "compiled": compiled_rate,
                     "compile_seconds": compile_s, "compile_error": compile_error})
        print(f"speed {key}: {rates}, fastest eager {best}, compiled {compiled_rate} (compile {compile_s:.0f} s)",
              flush=True)
    # the input pipelines, on the first model: per-image PIL (decode + transforms on every read) vs decoded once
    paths = sorted(p for p in (root / "train").rglob("*.jpg"))[:20_000]
    per_image = EncodedImages(paths, [0] * len(paths), in_chans=3, transform=train_transform(pre))
    model = build(keys[0])
    pipeline = {}
    for name, dataset, workers in (("per-image, 0 workers", per_image, 0), ("per-image, 1 worker", per_image, 1),
                                   ("decoded once, 0 workers", data.train, 0)):
        pipeline[name] = {"loader": loader_rate(dataset, workers), "with_step": loader_rate(dataset, workers, model)}
        print(f"pipeline {name}: {pipeline[name]}", flush=True)
    return {"models": rows, "pipeline": pipeline, "pipeline_model": keys[0]}


# --- budget ------------------------------------------------------------------------------

def plan_epochs(rate: float, minutes: float, eval_images: int) -> int:
    """Epochs whose training and per-epoch test pass (forward only, ~3x faster) fit the
    budget, with a 5% margin so that the cosine schedule ends inside it."""
    epoch_seconds = TRAIN_IMAGES / rate + eval_images / (3 * rate)
    return max(1, math.floor(0.95 * minutes * 60 / epoch_seconds))


def speed_options(speed: dict | None, key: str) -> dict[str, bool]:
    """The TrainConfig speed options the speed part measured faster for ``key``: its fastest
    eager variant, and torch.compile of it when that is faster again and pays back its
    compile time within a 30-minute run."""
    options = {"channels_last": False, "bf16": False, "compile": False}
    row = next((r for r in (speed or {}).get("models", []) if r["key"] == key), None)
    if row is None:
        return options
    options |= EAGER_VARIANTS[row["fastest_eager"]]
    eager = row["rates"][row["fastest_eager"]]
    if row["compiled"] is not None:
        saved = 30 * 60 * (1 - eager / row["compiled"])  # seconds a 30-minute run saves
        options["compile"] = row["compiled"] >= KEEP_ABOVE * eager and saved > row["compile_seconds"]
    return options


def run_budget(key: str, minutes: float, data: DataSplits, pre: Preprocessing, out: Path, options: dict,
               speed: dict | None, epochs: int | None) -> dict:
    model = build(key)
    probe = in_layout(model, options)
    rate = step_rates({"lightnets": (probe, options)})["lightnets"]  # eager, as the run's layout and precision
    pipeline = loader_rate(data.train, 0, probe, options)
    if options["compile"]:  # the planning probe runs eager: scale it by the speed part's measured gain
        row = next(r for r in speed["models"] if r["key"] == key)
        pipeline *= row["compiled"] / row["rates"][row["fastest_eager"]]
    epochs = epochs or plan_epochs(pipeline, minutes, len(data.val))
    print(f"{key}: step-loop {rate:.0f} img/s, with the input pipeline {pipeline:.0f} img/s; "
          f"planning {epochs} epochs in {minutes:g} min", flush=True)
    run_dir = out / key
    result = train(model, data, pre, TrainConfig(out_dir=run_dir, recipe=RECIPE, epochs=epochs, batch_size=BATCH,
                                                  max_minutes=minutes, threads=2, progress=False, **options))
    elapsed, curve = 0.0, []
    for record in result.history:
        elapsed += record["epoch_seconds"]
        curve.append((elapsed / 60, record["val_top1"], record["train_top1"]))
    from lightnets.checkpoint import load_checkpoint
    from torch.utils.data import DataLoader

    best, _ = load_checkpoint(result.best)
    flip = evaluate(best, DataLoader(data.val, batch_size=256), 10, hflip=True).top1
    prof = profile(build(key), 32)
    return {
        "key": key, "model": MODELS[key][0], "width": MODELS[key][1], "params": prof.params, "macs": prof.macs,
        "budget_min": minutes, "epochs_planned": epochs, "epochs_done": result.epochs_done,
        "best_top1": result.best_score, "best_epoch": result.best_epoch, "flip_top1": flip, "curve": curve,
        "train_images_per_s": statistics.median(r["train_images_per_s"] for r in result.history),
        "step_rate": rate, "pipeline_rate": pipeline, "stopped_early": result.stopped_early, "options": options,
    }


# --- fine-tuning -------------------------------------------------------------------------

def class_subset(dataset: DecodedImages, classes: range, per_class: int | None = None, seed: int = 0) -> DecodedImages:
    """The images of ``classes`` (relabelled 0..), ``per_class`` of each at random when given."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.tensor(dataset.labels)
    picked = []
    for c in classes:
        idx = (labels == c).nonzero().flatten()
        picked.append(idx if per_class is None else idx[torch.randperm(len(idx), generator=g)[:per_class]])
    idx = torch.cat(picked)
    return DecodedImages(dataset.pixels[idx], (labels[idx] - classes.start).tolist(), pre=PRE, train=dataset.train)


def run_finetune(data: DataSplits, pre: Preprocessing, out: Path, source_minutes: float, epochs: int,
                 options: dict) -> dict:
    names = [data.classes[c] for c in SOURCE_CLASSES], [data.classes[c] for c in TARGET_CLASSES]
    source = DataSplits(class_subset(data.train, SOURCE_CLASSES), class_subset(data.val, SOURCE_CLASSES), names[0])
    target = DataSplits(class_subset(data.train, TARGET_CLASSES, SHOTS), class_subset(data.val, TARGET_CLASSES),
                        names[1])
    options = {**options, "compile": False}  # the fine-tuning runs are seconds long: compiling would dominate
    rate = loader_rate(source.train, 0, in_layout(build(FINETUNE_MODEL, 5), options), options)
    source_epochs = max(1, math.floor(0.95 * source_minutes * 60 / (len(source.train) / rate * 1.1)))
    print(f"finetune: pre-training on {len(source.train)} images of {names[0]} for {source_epochs} epochs", flush=True)
    pre_run = train(build(FINETUNE_MODEL, 5), source, pre,
                    TrainConfig(out_dir=out / "finetune-source", recipe=RECIPE, epochs=source_epochs, batch_size=BATCH,
                                max_minutes=source_minutes, threads=2, progress=False, **options))
    from lightnets.checkpoint import load_checkpoint

    rows = {}
    for mode in ("full fine-tuning", "head only", "from scratch"):
        if mode == "from scratch":
            model = build(FINETUNE_MODEL, 5)
        else:
            model, _ = load_checkpoint(pre_run.best)
            model.reset_classifier(5)
        began = time.perf_counter()
        result = train(model, target, pre, TrainConfig(
            out_dir=out / f"finetune-{mode.replace(' ', '-')}", recipe=RECIPE, epochs=epochs, batch_size=50,
            head_only=mode == "head only", threads=2, progress=False, **options))
        rows[mode] = {"top1": result.history[-1]["val_top1"], "best_top1": result.best_score,
                      "seconds": time.perf_counter() - began}
        print(f"finetune {mode}: {rows[mode]}", flush=True)
    return {"model": FINETUNE_MODEL, "source_classes": names[0], "target_classes": names[1],
            "source_images": len(source.train), "source_epochs": pre_run.epochs_done,
            "source_top1": pre_run.best_score, "target_train": len(target.train), "target_test": len(target.val),
            "epochs": epochs, "rows": rows, "options": options}


# --- the document --------------------------------------------------------------------------

def plot_curves(budget: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for r in budget:
        minutes, top1, _ = zip(*r["curve"])
        ax.plot(minutes, top1, "o-", ms=3, label=f"{r['key']} ({r['macs'] / 1e6:.0f}M MACs, "
                                                  f"{r['step_rate']:.0f} img/s step)")
    ax.axhline(88, color="grey", lw=0.8, ls="--")
    ax.set(xlabel="wall-clock minutes (training + per-epoch test)", ylabel="CIFAR-10 test top-1 (%)",
           title="CIFAR-10, small-input models, 2-core CPU", ylim=(30, 100))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def render(results: dict) -> tuple[str, str]:
    """The generated section from the saved results, and its date (the newest part's)."""
    parts, dates, commands = [], [], []
    h = results.get("host")
    if h:
        parts.append(f"Host: {h['threads']} threads, PyTorch {h['torch']} (CPU kernels: {h.get('cpu_capability', '?')}), "
                     f"fp32 matmul peak {h['peak_gmacs']:.1f} GMAC/s (2 threads; `lightnets bench` measures it the "
                     "same way).")
    speed = results.get("speed")
    if speed:
        dates.append(speed["date"])
        commands.append(f"`{speed['command']}` ({speed['date']})")
        def cell(rate: float, eager: float) -> str:
            return f"{rate:.0f} ({rate / eager:.2f}x)"

        rows = [f"| {r['key']} | " + " | ".join(cell(r["rates"][name], r["rates"]["eager"]) for name in EAGER_VARIANTS)
                + f" | {r['fastest_eager']} | "
                + (f"failed ({r['compile_error']})" if r["compiled"] is None else cell(r["compiled"], r["rates"]["eager"]))
                + f" | {r['compile_seconds']:.0f} |" for r in speed["models"]]
        pipe = [f"| {name} | {v['loader']:.0f} | {v['with_step']:.0f} |" for name, v in speed["pipeline"].items()]
        parts.append("### Training speed (images/s, batch 128, 2 threads)\n\n"
                     "One SGD step loop on random 32x32 batches, the eager variants interleaved round by round, "
                     "median of 3; the ratios are to eager NCHW fp32. bf16 is `torch.autocast` to bfloat16 for the "
                     f"forward pass and loss (fp32 weights). The kept variant is the fastest, each option earning "
                     f"{KEEP_ABOVE:g}x or more; torch.compile is of that variant:\n\n"
                     "| model | " + " | ".join(EAGER_VARIANTS) + " | kept | torch.compile | compile time (s) |\n"
                     "|---|" + "---|" * (len(EAGER_VARIANTS) + 3) + "\n"
                     + "\n".join(rows) + f"\n\nThe input pipeline, on {speed['pipeline_model']} (a shuffled DataLoader "
                     "alone, then with the training step):\n\n| pipeline | loader alone | loader + step |\n|---|---|---|\n"
                     + "\n".join(pipe))
    budget = [results["budget"][k] for k in MODELS if k in results.get("budget", {})]
    if budget:
        for r in budget:
            dates.append(r["date"])
            commands.append(f"`{r['command']}` ({r['date']})")
        rows = [f"| {r['key']} | {r['params'] / 1e6:.2f} | {r['macs'] / 1e6:.1f} | {r['budget_min']:g} | "
                f"{', '.join(k for k, v in r['options'].items() if v) or '-'} | "
                f"{r['epochs_done']}/{r['epochs_planned']} | **{r['best_top1']:.2f}** (epoch {r['best_epoch']}) | "
                f"{r['flip_top1']:.2f} | {r['curve'][-1][2]:.1f} | {r['step_rate']:.0f} | {r['train_images_per_s']:.0f} |"
                for r in budget]
        curves = "\n".join(f"- {r['key']}: " + ", ".join(f"ep {i + 1} {m:.1f} min {t:.1f}%"
                                                         for i, (m, t, _) in enumerate(r["curve"])) for r in budget)
        parts.append(f"""### Top-1 in a wall-clock budget

Full CIFAR-10 (50,000 train / 10,000 test JPEGs from `../shared/data/cifar10-jpeg.tar.gz`),
decoded once; pad-4 reflect crop and flip on tensors; recipe `{RECIPE.name}` (SGD Nesterov
{RECIPE.momentum:g}, peak lr {RECIPE.lr:g} per 256 images (so {RECIPE.lr * BATCH / 256:g} at batch {BATCH}),
{RECIPE.warmup_epochs:g} warm-up epoch(s), cosine to 0, label smoothing {RECIPE.label_smoothing:g},
weight decay {RECIPE.weight_decay:g} off depthwise/BN/bias). The epochs are planned from a
probe of the pipeline and step to fill the budget, and the engine stops the run at the budget
regardless. "speed options" are those the speed table above measured {KEEP_ABOVE:g}x faster or
more for the model (torch.compile only if it also earns back its compile time in 30 minutes). Top-1 is on the 10,000 test images after each epoch; no choice was made on them
(the recipe and the planned epochs are fixed before the run).

| model | params (M) | MACs @32 (M) | budget (min) | speed options | epochs done/planned | best top-1 (%) | with flip TTA (%) | train top-1, last epoch (%) | step-loop img/s | engine img/s |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

By epoch (epoch, wall-clock minutes, test top-1); the result depends on the epoch count, the
wall-clock on the host, so another host reproduces a row with `--epochs` set to its epochs done:

{curves}

![top-1 vs minutes](cifar10_top1.png)""")
    ft = results.get("finetune")
    if ft:
        dates.append(ft["date"])
        commands.append(f"`{ft['command']}` ({ft['date']})")
        rows = [f"| {mode} | {v['top1']:.2f} | {v['best_top1']:.2f} | {v['seconds']:.0f} |" for mode, v in ft["rows"].items()]
        parts.append(f"""### Fine-tuning: 5 classes to the other 5, {SHOTS} images each

{ft['model']} trained on the {ft['source_images']:,} training images of {', '.join(ft['source_classes'])}
({ft['source_epochs']} epochs, test top-1 {ft['source_top1']:.2f}% on their 5 classes), then
trained {ft['epochs']} epochs on {ft['target_train']} images ({SHOTS} per class, drawn with seed 0) of
{', '.join(ft['target_classes'])}; top-1 on those classes' {ft['target_test']:,} test images. Head only
trains the new classifier alone (`--head-only`: the rest and the BatchNorm statistics frozen).
Every run is {ft['epochs']} epochs at batch 50, recipe `{RECIPE.name}`; speed options:
{', '.join(k for k, v in ft.get('options', {}).items() if v) or 'none'}.

| start | top-1, last epoch (%) | best epoch (%) | seconds |
|---|---|---|---|
{chr(10).join(rows)}""")
    text = f"Made by {' and '.join(commands)}.\n\n" + "\n\n".join(parts) + "\n"
    return text, max(dates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("speed", "budget", "finetune", "doc"))
    parser.add_argument("--models", default=",".join(MODELS), help=f"speed, budget: comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--minutes", type=float, default=30.0, help="budget: wall-clock budget per model; "
                        "finetune: the pre-training's")
    parser.add_argument("--epochs", type=int, default=30, help="finetune: epochs of each fine-tuning run")
    parser.add_argument("--plan", type=int, default=None, help="budget: epochs to plan (default: from a probe "
                        "of the step and pipeline; the budget stops the run regardless)")
    parser.add_argument("--tarball", type=Path, default=TARBALL)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "cifar10", help="where the training runs go")
    args = parser.parse_args()
    keys = [k for k in args.models.split(",") if k]
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}; valid: {', '.join(MODELS)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}

    def save(key: str, value: dict) -> None:
        results[key] = value
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(RESULTS, json.dumps(results, indent=1) + "\n")

    torch.set_num_threads(2)
    stamp = {"date": time.strftime("%Y-%m-%d")}
    if args.part != "doc":
        pre = PRE
        root = extract(args.tarball)
        data = open_data(root, pre=pre, cache_dir=CACHE)
        save("host", host())
        if args.part == "speed":
            save("speed", {**run_speed(keys, data, root, pre), **stamp,
                           "command": f"python benchmarks/cifar10.py speed --models {','.join(keys)}"})
        elif args.part == "budget":
            command = f"python benchmarks/cifar10.py budget --models {','.join(keys)} --minutes {args.minutes:g}"
            command += f" --plan {args.plan}" if args.plan else ""
            for key in keys:
                budget = results.get("budget", {})
                options = speed_options(results.get("speed"), key)
                budget[key] = {**run_budget(key, args.minutes, data, pre, args.out / time.strftime("%Y%m%d-%H%M"),
                                            options, results.get("speed"), args.plan), **stamp, "command": command}
                save("budget", budget)
        else:
            command = f"python benchmarks/cifar10.py finetune --minutes {args.minutes:g} --epochs {args.epochs}"
            options = speed_options(results.get("speed"), FINETUNE_MODEL)
            save("finetune", {**run_finetune(data, pre, args.out / time.strftime("%Y%m%d-%H%M"), args.minutes,
                                             args.epochs, options), **stamp, "command": command})
    budget = [results["budget"][k] for k in MODELS if k in results.get("budget", {})]
    if budget:
        plot_curves(budget, DOC.with_name("cifar10_top1.png"))
    text, date = render(results)
    write_doc(DOC, "# CIFAR-10 on this CPU", Path(__file__).name, date, text, "## What limits it")
    print(DOC.read_text())


if __name__ == "__main__":
    main()
