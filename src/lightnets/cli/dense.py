"""``lightnets train / eval`` for the dense tasks (segmentation, detection): the same engine and the same options as
classification, with the task's data layout (VOC masks, COCO boxes; ``sample`` = the pasted-scenes default), its
loss and its score (mIoU, mAP).

Dense models take the whole image squashed to a square (no crop), normalised with the backbone's ImageNet
statistics; the default size is the model's (512 for segmentation, 320 for SSDLite), or the pasted sample's 160.
"""

from __future__ import annotations

import sys
from pathlib import Path
from .table import format_table, print_json

# train options of classification alone, with the value that means "not given"
CLASSIFICATION_ONLY = {"style": None, "augment": None, "mixup": 0.0, "cutmix": 0.0, "label_smoothing": None,
                       "init_from": None, "init_arch": None, "skip_corrupt": False, "cache_dir": None}


def preprocessing(model, size: int):
    from ..data import Preprocessing

    cfg = model.default_cfg
    return Preprocessing(input_size=size, mean=tuple(cfg["mean"]), std=tuple(cfg["std"]), crop_pct=1.0,
                         in_chans=model.in_chans)


def preprocessing_from(model, extra: dict):
    """The checkpoint's preprocessing, or the model's own size and statistics."""
    from ..data import Preprocessing

    if "preprocessing" in extra:
        return Preprocessing.from_dict(extra["preprocessing"])
    return preprocessing(model, model.default_cfg["input_size"][-1])


def input_size(args, model, sample: bool) -> int:
    from ..data.pasted import SAMPLE_SCENES

    size = args.resolution or (SAMPLE_SCENES["size"] if sample else model.default_cfg["input_size"][-1])
    if size < model.min_input:
        raise ValueError(f"--resolution {size} is smaller than {args.model}'s smallest input, {model.min_input} "
                         "pixels")
    return size


def train(args, dense, *, say, main_process: bool, config) -> int:
    """``lightnets train`` for a model of the dense task ``dense`` (:class:`lightnets.tasks.dense.DenseTask`)."""
    import torch

    from ..data import SAMPLE
    from ..training import NonFiniteLoss
    from ..training import train as run_training

    given = [f"--{name.replace('_', '-')}" for name, unset in CLASSIFICATION_ONLY.items()
             if getattr(args, name) != unset]
    if given:
        raise ValueError(f"{', '.join(given)}: classification options; {args.model} is a {dense.name} model, "
                         "trained on its task's own pipeline (scale, crop and flip of image and labels together)")
    kwargs = {"width": 1.0 if args.width is None else args.width, **args.model_kwargs}
    if args.in_chans is not None:
        kwargs["in_chans"] = args.in_chans
    with torch.device("meta"):
        probe = dense.create_model(args.model, **kwargs)
    pre = preprocessing(probe, input_size(args, probe, args.data == SAMPLE))
    data = dense.data(args.data, size=pre.input_size, mean=pre.mean, std=pre.std)
    say(f"data: {data.source}, {len(data.classes)} classes ({len(data.train)} train, {len(data.val)} val images); "
        f"{pre.input_size}x{pre.input_size}")
    for split in (data.train, data.val):
        if getattr(split, "dropped", None):
            say(f"  {split.summary()}")
    torch.manual_seed(args.seed)
    model = dense.create_model(args.model, num_classes=len(data.classes), **kwargs)
    task = dense.training_task(len(data.classes))
    try:
        result = run_training(model, data, pre, config, task=task, resume=args.resume, say=say)
    except NonFiniteLoss as e:
        print(f"lightnets train: {e}", file=sys.stderr)
        return 1
    if args.json and main_process:
        print_json({"model": args.model, "width": model.config.get("width"), "resolution": pre.input_size,
                    "in_chans": model.in_chans, "num_classes": model.num_classes, "model_kwargs": args.model_kwargs,
                    "data": data.source, "classes": data.classes, "preprocessing": pre.to_dict(),
                    "out_dir": result.out_dir, "epochs": config.epochs, "epochs_done": result.epochs_done,
                    "stopped_early": result.stopped_early, "task": dense.name, "score": result.score,
                    "best_score": result.best_score, "best_epoch": result.best_epoch, "best": result.best,
                    "last": result.last, "metrics": result.metrics, "curves": result.curves})
        return 0
    say(f"{'stopped' if result.stopped_early else 'done'}: {result.epochs_done}/{config.epochs} epochs, best val "
        f"{task.label} {result.best_score:.2f}% (epoch {result.best_epoch})")
    say(f"  checkpoints {result.best} (best), {result.last} (resume: --resume --out {result.out_dir})")
    say(f"  metrics     {result.metrics[0]}, {result.metrics[1]}")
    say(f"  curves      {result.curves}")
    say(f"  next        lightnets eval {result.best} --data {args.data}; lightnets predict {result.best} IMAGE")
    return 0


def evaluate(args, dense, model, extra: dict, path: str) -> int:
    """``lightnets eval CHECKPOINT --data PATH`` for a dense model: the task's loss, score and extras on the val
    split, and images/s."""
    import time

    import torch
    from torch.utils.data import DataLoader

    given = [option for option, value, unset in (("--val-fraction", args.val_fraction, None), ("--seed", args.seed, None),
                                                 ("--skip-corrupt", args.skip_corrupt, False),
                                                 ("--confusion", args.confusion, None)) if value != unset]
    if given:
        raise ValueError(f"{', '.join(given)}: classification options; {model.config['name']} is a {dense.name} "
                         "model, evaluated on its data's own val split")
    pre = preprocessing_from(model, extra)
    data = dense.data(args.data, size=pre.input_size, mean=pre.mean, std=pre.std)
    classes = extra.get("classes")
    if classes is not None and list(classes) != list(data.classes):
        raise ValueError(f"the data's classes {data.classes} differ from the checkpoint's {list(classes)}")
    if model.num_classes != len(data.classes):
        raise ValueError(f"the model has {model.num_classes} classes but the data has {len(data.classes)}")
    task = dense.training_task(len(data.classes))
    loader = DataLoader(data.val, batch_size=args.batch_size, num_workers=args.workers, collate_fn=task.collate)
    start = time.perf_counter()
    score = task.evaluate(model, loader, device=torch.device("cpu"), progress=not (args.json or args.no_progress),
                          desc="eval", reduce=lambda _: None)
    seconds = time.perf_counter() - start
    result = {"loss": score.loss, task.score: score.value, **score.extra, "images": len(data.val),
              "images_per_s": len(data.val) / seconds}
    if args.json:
        print_json({"source": path, "kind": "checkpoint", "model": model.config["name"], "task": dense.name,
                    "data": data.source, "classes": data.classes, **result})
        return 0
    print(f"{model.config['name']} on {data.source} ({len(data.val):,} images)")
    print(format_table(["metric", "value"], [[task.label + " (%)", f"{score.value:.2f}"], ["loss", f"{score.loss:.4f}"],
                                             *[[k, f"{v:.2f}"] for k, v in score.extra.items()],
                                             ["images/s", f"{result['images_per_s']:,.1f}"]]))
    return 0


def predict(args, dense, model, extra: dict, source: str, paths: list[str]) -> int:
    """``lightnets predict CHECKPOINT IMAGE...`` for a dense model: each image drawn with its prediction into
    ``--out`` (``<stem>.<task>.png``), and what was found per image."""
    from ..data import DataError
    from ..data.images import load_image
    from ..io import atomic_path

    pre = preprocessing_from(model, extra)
    classes = list(extra.get("classes") or [str(i) for i in range(model.num_classes)])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in paths:
        try:
            image = load_image(name, 3)
        except DataError as e:
            print(f"lightnets predict: warning: {e}", file=sys.stderr)
            results.append({"image": name, "error": str(e), "drawn": None})
            continue
        drawn, found = dense.draw(model, image, pre.input_size, pre.mean, pre.std, classes)
        target = out / f"{Path(name).stem}.{dense.name}.png"
        with atomic_path(target) as tmp:
            drawn.save(tmp, format="PNG")
        results.append({"image": name, "error": None, "drawn": str(target), **found})
    done = sum(r["error"] is None for r in results)
    if args.json:
        print_json({"source": source, "kind": "checkpoint", "model": model.config["name"], "task": dense.name,
                    "classes": classes, "predicted": done, "results": results})
    else:
        for r in results:
            if r["error"] is None:
                header, rows = _found_table(r)
                print(f"{r['image']} -> {r['drawn']}")
                print(format_table(header, rows) if rows else "  nothing found (background only)")
    if done == 0:
        print(f"lightnets predict: error: none of the {len(paths)} image(s) could be read", file=sys.stderr)
        return 1
    return 0


def _found_table(result: dict) -> tuple[list[str], list[list]]:
    if "classes" in result:
        return ["class", "pixels (%)"], [[c["label"], f"{100 * c['pixel_share']:.1f}"] for c in result["classes"]]
    return ["class", "score", "box (x1, y1, x2, y2)"], [
        [d["label"], f"{d['score']:.3f}", ", ".join(f"{v:.0f}" for v in d["box"])] for d in result["detections"]]


def open_checkpoint(path: str):
    """``(dense task or None, model, extra)`` of a lightnets checkpoint: None for a classifier."""
    from ..checkpoint import load_checkpoint
    from ..tasks.dense import dense_task_of

    model, extra = load_checkpoint(path)
    return dense_task_of(model.config["name"]), model, extra
