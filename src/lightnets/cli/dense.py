"""``lightnets train / eval / predict`` for the dense tasks (segmentation, detection): the same engine and the
same options as classification, with the task's data layout (VOC masks, COCO boxes; ``sample`` = the pasted-scenes
default), its loss and its score (mIoU, mAP).

Dense models take the whole image squashed to a square (no crop), normalised with the model's statistics
(``default_cfg``); the default size is the model's (512 for segmentation, 320 for SSDLite), or the pasted sample's
160.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import refuse_options
from .evaluate import check_classes
from .predict import class_names, preprocessing_of
from .table import format_table, print_json
from .train import ARCFACE_OPTIONS, CROSS_ENTROPY_ONLY

# the options of classification alone, each with the value that means "not given"
TRAIN_CLASSIFICATION_ONLY = {"style": None, "augment": None, **CROSS_ENTROPY_ONLY, "loss": "cross-entropy",
                             **ARCFACE_OPTIONS, "skip_corrupt": False, "cache_dir": None}
EVAL_CLASSIFICATION_ONLY = {"val_fraction": None, "seed": None, "skip_corrupt": False, "confusion": None}


def refuse_classification_options(args, options: dict, model: str, dense, why: str) -> None:
    """A ValueError naming the ``options`` given on the command line, which a ``dense`` model has no use for."""
    refuse_options(args, options, f"classification options; {model} is a {dense.name} model, {why}")


def input_size(args, model, sample: bool) -> int:
    from ..data.pasted import SAMPLE_SCENES

    size = args.resolution or (SAMPLE_SCENES["size"] if sample else model.default_cfg["input_size"][-1])
    if size < model.min_input:
        raise ValueError(f"--resolution {size} is smaller than {args.model}'s smallest input, {model.min_input} "
                         "pixels")
    return size


def model_and_data(args, dense, say):
    """``lightnets train``'s model, data, preprocessing and training task for a model of the dense task ``dense``
    (:class:`lightnets.tasks.dense.DenseTask`); the run itself is the classifiers' (:mod:`.train`)."""
    import torch

    from ..data import SAMPLE, Preprocessing

    refuse_classification_options(args, TRAIN_CLASSIFICATION_ONLY, args.model, dense, "trained on its task's own "
                                  "pipeline (scale, crop and flip of image and labels together)")
    kwargs = {"width": 1.0 if args.width is None else args.width, **args.model_kwargs}
    if args.in_chans is not None:
        kwargs["in_chans"] = args.in_chans
    with torch.device("meta"):
        probe = dense.create_model(args.model, **kwargs)
    pre = Preprocessing.from_model(probe.default_cfg, probe.in_chans, input_size(args, probe, args.data == SAMPLE))
    data = dense.data(args.data, size=pre.input_size, mean=pre.mean, std=pre.std)
    say(f"data: {data.source}, {len(data.classes)} classes ({len(data.train)} train, {len(data.val)} val images); "
        f"{pre.input_size}x{pre.input_size}")
    for split in (data.train, data.val):
        if getattr(split, "dropped", None):
            say(f"  {split.summary()}")
    torch.manual_seed(args.seed)
    model = dense.create_model(args.model, num_classes=len(data.classes), **kwargs)
    if args.init_from is not None:
        say(init_backbone_from(args, model))
    elif args.init_source != "lightnets" or args.init_arch is not None:
        raise ValueError("--init-source and --init-arch describe --init-from, which is not given")
    return model, data, pre, dense.training_task(len(data.classes))


def init_backbone_from(args, model) -> str:
    """``--init-from CKPT``: the dense model's backbone from a checkpoint of its classifier (a lightnets run's, or
    torchvision's / timm's with ``--init-source`` and ``--init-arch``); the heads keep their initialisation."""
    from ..tasks.backbones import init_backbone
    from ..training import load_pretrained

    classifier, origin = load_pretrained(args.init_from, model.backbone.config["name"], source=args.init_source,
                                         arch=args.init_arch)
    return f"{init_backbone(model, classifier)}, {origin}"


def evaluate(args, dense, model, extra: dict, path: str) -> int:
    """``lightnets eval CHECKPOINT --data PATH`` for a dense model: the task's loss, score and extras on the val
    split, and images/s."""
    import time

    import torch
    from torch.utils.data import DataLoader

    refuse_classification_options(args, EVAL_CLASSIFICATION_ONLY, model.config["name"], dense,
                                  "evaluated on its data's own val split")
    pre = preprocessing_of(model, extra)
    data = dense.data(args.data, size=pre.input_size, mean=pre.mean, std=pre.std)
    check_classes(extra.get("classes"), model.num_classes, data.classes)
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

    pre = preprocessing_of(model, extra)
    classes = class_names(model, extra)
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
