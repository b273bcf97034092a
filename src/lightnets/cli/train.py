"""``lightnets train MODEL --data PATH``: train a model on a folder of images (or the embedded
CIFAR-10 sample), resumably, on one process or under ``torchrun`` on many.

Preprocessing: ``--style cifar`` (small images, padded random crops, CIFAR-10 statistics) or
``imagenet`` (random resized crops, the model's ImageNet statistics); by default ``cifar``
for an input size of 64 or less. The input size defaults to the model's (224), or 32 for
the embedded sample. See :mod:`lightnets.training` for the engine and the recipes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from functools import partial
from pathlib import Path

from .common import add_model_args, add_threads_arg, refuse_options
from .table import print_json

SMALL_INPUT = 64  # inputs up to this size get the CIFAR-style pipeline by default
SAMPLE_INPUT = 32
# Names shown in --help without importing the training and data packages (torchvision makes
# that take seconds for every command); tests/cli check them against the packages' own.
RECIPES = ("mobilenet", "mobilenet-cosine", "sgd-cosine", "sgd-cifar")
INIT_SOURCES = ("lightnets", "torchvision", "timm")
IMAGE_CHANNELS = (1, 3)  # what the image loader converts to
AUGMENTS = ("randaugment", "trivialaugment")
LOSSES = ("cross-entropy", "arcface")
# option -> its default, the value that means "not given"
ARCFACE_OPTIONS = {"arcface_scale": 64.0, "arcface_margin": 0.5}  # the ArcFace paper's s and m
CROSS_ENTROPY_ONLY = {"mixup": 0.0, "cutmix": 0.0, "label_smoothing": None}  # soft targets
SAMPLE = "sample"


def register(sub) -> None:
    p = sub.add_parser(
        "train", help="train a model on an image folder, resumably, on one process or many (torchrun)",
        description="Train MODEL on the images under --data: an ImageFolder tree (<class>/<image>, split by "
        "--val-fraction), train/ + val/ trees, CIFAR-10 python batches, or 'sample' (the embedded CIFAR-10 "
        "sample). Writes best.pth, last.pth, metrics.jsonl/.csv and curves.png to --out after every epoch.",
        epilog="Recipes: mobilenet = the MobileNet papers' (TF RMSProp, warm-up, exponential decay, label smoothing, "
        "EMA); mobilenet-cosine = the same with cosine decay; sgd-cosine = SGD with Nesterov momentum, warm-up, "
        "cosine decay (Bag of Tricks). Many processes: torchrun --nproc_per_node=N -m lightnets.cli train ... --out DIR",
    )
    add_model_args(p, num_classes=False, unset={
        "width": "1.0, or --init-from's", "in_chans": "3 (RGB; 1 = grey), or --init-from's",
        "resolution": f"the model's 224; {SAMPLE_INPUT} for '{SAMPLE}'"})
    p.add_argument("--data", required=True, help=f"data folder, or '{SAMPLE}' for the embedded CIFAR-10 sample")
    p.add_argument("--recipe", default="mobilenet", help=f"training recipe: {', '.join(RECIPES)} (default mobilenet)")
    p.add_argument("--epochs", type=int, default=10, help="epochs to train (default 10)")
    p.add_argument("--batch-size", type=int, default=64, help="global batch, all processes together (default 64)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the recipe's, scaled to the batch)")
    p.add_argument("--weight-decay", type=float, default=None, help="L2 weight decay (default: the recipe's)")
    p.add_argument("--decay-all", action="store_true",
                   help="weight decay on depthwise convs, BatchNorm and biases too (default: none on them, as the "
                   "MobileNet paper advises)")
    p.add_argument("--label-smoothing", type=float, default=None, help="label smoothing (default: the recipe's)")
    p.add_argument("--loss", choices=LOSSES, default="cross-entropy",
                   help="a classifier's loss: cross-entropy (default) or arcface, the additive angular margin on "
                   "the embedding (face identities; the classifier's rows are the class centres; scored by the "
                   "validation pairs' verification AUC)")
    p.add_argument("--arcface-scale", type=float, default=ARCFACE_OPTIONS["arcface_scale"], metavar="S",
                   help="ArcFace's scale s (default 64)")
    p.add_argument("--arcface-margin", type=float, default=ARCFACE_OPTIONS["arcface_margin"], metavar="M",
                   help="ArcFace's margin m in radians (default 0.5)")
    p.add_argument("--ema", action=argparse.BooleanOptionalAction, default=None,
                   help="evaluate and save an EMA of the weights (default: the recipe's)")
    p.add_argument("--style", choices=("imagenet", "cifar"), default=None,
                   help=f"preprocessing style (default: cifar for inputs of {SMALL_INPUT} pixels or less)")
    p.add_argument("--augment", choices=AUGMENTS, default=None, help="extra augmentation (default none)")
    p.add_argument("--mixup", type=float, default=0.0, metavar="ALPHA", help="mixup alpha (default 0 = off)")
    p.add_argument("--cutmix", type=float, default=0.0, metavar="ALPHA", help="cutmix alpha (default 0 = off)")
    p.add_argument("--freeze-bn", action="store_true", help="keep BatchNorm statistics fixed (fine-tuning)")
    p.add_argument("--head-only", action="store_true", help="train the classifier alone, the rest frozen (fine-tuning)")
    p.add_argument("--out", default=None, help="output folder (default runs/<model>-<date>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pth")
    p.add_argument("--init-from", default=None, metavar="CKPT",
                   help="start from these weights (fine-tuning); for a dense model, a checkpoint of its backbone's "
                   "classifier")
    p.add_argument("--init-source", choices=INIT_SOURCES, default="lightnets",
                   help="who wrote --init-from (default lightnets)")
    p.add_argument("--init-arch", default=None, help="the torchvision / timm model name of --init-from")
    p.add_argument("--val-fraction", type=float, default=0.1, help="held-out share of a single ImageFolder tree")
    p.add_argument("--skip-corrupt", action="store_true", help="leave unreadable images out (and count them)")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="keep the decoded images of a cifar-style run here for the next run (default: decode each run)")
    p.add_argument("--seed", type=int, default=0, help="seed for the initial weights, split and shuffles (default 0)")
    p.add_argument("--workers", type=int, default=0, help="data-loading processes per training process (default 0)")
    add_threads_arg(p)
    p.add_argument("--max-minutes", type=float, default=None, help="stop before an epoch that would overrun this")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: a GPU if there is one")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.add_argument("--channels-last", action="store_true", help="train in the NHWC memory layout")
    p.add_argument("--compile", action="store_true", help="train through torch.compile (needs a C++ compiler on CPU)")
    p.add_argument("--bf16", action="store_true", help="mixed precision: the forward pass and loss in bfloat16 "
                   "(torch.autocast; weights and optimizer stay fp32), fast on CPUs with AVX512-BF16 or AMX")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io import check_output_dir
    from ..training import NonFiniteLoss, TrainConfig, train

    main_process = int(os.environ.get("RANK", "0")) == 0
    say = partial(print, flush=True) if main_process else _quiet  # lines appear as they happen in a pipe
    if args.resolution is not None and args.resolution < 1:
        raise ValueError(f"--resolution must be a positive number of pixels, got {args.resolution}")
    if args.in_chans not in (None, *IMAGE_CHANNELS):
        raise ValueError(f"--in-chans must be 1 (grey images) or 3 (RGB) to train on images, got {args.in_chans}")
    if args.loss != "arcface":
        refuse_options(args, ARCFACE_OPTIONS, f"options of --loss arcface; this run's loss is {args.loss}")
    out_dir = check_output_dir(_out_dir(args), "--out")
    config = TrainConfig(
        out_dir=out_dir, recipe=_recipe(args), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        mixup_alpha=args.mixup, cutmix_alpha=args.cutmix, freeze_bn=args.freeze_bn, head_only=args.head_only,
        seed=args.seed,
        workers=args.workers, threads=args.threads, max_minutes=args.max_minutes, device=args.device,
        progress=not args.no_progress, channels_last=args.channels_last, compile=args.compile, bf16=args.bf16,
    )
    from ..tasks.dense import dense_task_of

    dense = dense_task_of(args.model)
    if dense is None:
        model, data, pre = _classifier_and_data(args, say)
        task = _arcface_task(args, model, data) if args.loss == "arcface" else None
        task_name, label = ("classification", "top-1") if task is None else (task.name, task.label)
    else:
        from .dense import model_and_data

        model, data, pre, task = model_and_data(args, dense, say)
        task_name, label = dense.name, task.label
    try:
        result = train(model, data, pre, config, task=task, resume=args.resume, say=say)
    except NonFiniteLoss as e:
        print(f"lightnets train: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if main_process:
            print(f"lightnets train: stopped; continue with the same command plus --resume --out {config.out_dir}",
                  file=sys.stderr)
        raise
    out = result.out_dir
    if args.json and main_process:
        print_json({"model": args.model, "width": model.config.get("width"), "resolution": pre.input_size,
                    "in_chans": model.in_chans, "num_classes": model.num_classes, "model_kwargs": args.model_kwargs,
                    "init_from": args.init_from, "data": data.source, "classes": data.classes,
                    "preprocessing": pre.to_dict(), "skipped": data.skipped, "skipped_paths": data.skipped_paths,
                    "out_dir": out, "epochs": config.epochs, "epochs_done": result.epochs_done,
                    "stopped_early": result.stopped_early, "task": task_name,
                    "score": result.score, "best_score": result.best_score,
                    "best_epoch": result.best_epoch, "best": result.best, "last": result.last,
                    "metrics": result.metrics, "curves": result.curves})
        return 0
    say(f"{'stopped' if result.stopped_early else 'done'}: {result.epochs_done}/{config.epochs} epochs, "
        f"best val {label} {result.best_score:.2f}% (epoch {result.best_epoch})")
    say(f"  checkpoints {result.best} (best), {result.last} (resume: --resume --out {out})")
    say(f"  metrics     {result.metrics[0]}, {result.metrics[1]}")
    say(f"  curves      {result.curves}")
    say(f"  next        lightnets eval {result.best} --data {args.data}; lightnets predict {result.best} IMAGE")
    return 0


def _classifier_and_data(args, say):
    """The classifier to train (new, or --init-from's with its classifier fitted to the data), the data and the
    preprocessing."""
    from ..data import open_data
    from ..training import fit_classifier

    pretrained, origin = _pretrained(args)
    pre = _preprocessing(args, pretrained if pretrained is not None else _probe(args))
    data = open_data(args.data, pre=pre, augment=args.augment, val_fraction=args.val_fraction, seed=args.seed,
                     skip_corrupt=args.skip_corrupt, cache_dir=args.cache_dir)
    say(f"data: {data.source}, {len(data.classes)} classes; preprocessing {pre.style} {pre.input_size}px")
    if data.skipped_paths:
        say(f"  {data.skipped_summary()}")
    if pretrained is None:
        return _new_model(args, num_classes=len(data.classes)), data, pre
    say("; ".join(filter(None, (origin, fit_classifier(pretrained, len(data.classes))))))
    return pretrained, data, pre


def _arcface_task(args, model, data):
    """``--loss arcface``: ArcFace on the classifier's embedding; the options of softmax targets are refused."""
    from ..tasks.embedding.task import ArcFaceTask

    refuse_options(args, CROSS_ENTROPY_ONLY, "options of the cross-entropy loss; --loss arcface takes hard labels")
    return ArcFaceTask(model, s=args.arcface_scale, m=args.arcface_margin)


def _quiet(_: str) -> None:
    """Processes other than rank 0 print nothing."""


def _out_dir(args) -> Path:
    if args.out is not None:
        return Path(args.out)
    if args.resume:
        raise ValueError("--resume needs --out DIR, the folder of the run to continue")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError("under torchrun give --out DIR, so that every process names the same folder")
    return Path("runs") / f"{args.model}-{time.strftime('%Y%m%d-%H%M%S')}"


def _recipe(args):
    from ..training import get_recipe

    recipe = get_recipe(args.recipe)
    overrides = {name: value for name, value in (("weight_decay", args.weight_decay), ("ema", args.ema),
                                                  ("label_smoothing", args.label_smoothing)) if value is not None}
    if args.decay_all:
        overrides["no_decay_dw_bn_bias"] = False
    return dataclasses.replace(recipe, **overrides)


def _variant(args) -> dict:
    return {"width": 1.0 if args.width is None else args.width,
            "in_chans": 3 if args.in_chans is None else args.in_chans, **args.model_kwargs}


def _probe(args):
    """The model on the meta device (no memory, no init): its default_cfg and in_chans."""
    import torch

    from ..models import create_model

    with torch.device("meta"):
        return create_model(args.model, **_variant(args))


def _new_model(args, num_classes: int):
    import torch

    from ..models import create_model

    torch.manual_seed(args.seed)
    return create_model(args.model, num_classes=num_classes, **_variant(args))


def _pretrained(args):
    """The --init-from model and where it came from; ``(None, "")`` without --init-from."""
    from ..training import load_pretrained

    if args.init_from is None:
        if args.init_source != "lightnets" or args.init_arch is not None:
            raise ValueError("--init-source and --init-arch describe --init-from, which is not given")
        return None, ""
    model, origin = load_pretrained(args.init_from, args.model, source=args.init_source, arch=args.init_arch)
    given = [("--width", args.width, model.config.get("width")), ("--in-chans", args.in_chans, model.in_chans)]
    given += [(f"--model-kwargs {key}", value, model.config.get(key)) for key, value in args.model_kwargs.items()]
    for option, value, found in given:
        if value is not None and value != found:
            raise ValueError(f"{option} {value} differs from --init-from {args.init_from}'s {found}; leave it out")
    return model, origin


def _preprocessing(args, model):
    from ..data import Preprocessing
    from ..models.base import describe_min_input

    cfg = model.default_cfg
    size = args.resolution or (SAMPLE_INPUT if args.data == SAMPLE else cfg["input_size"][-1])
    if size < model.min_input:
        raise ValueError(f"--resolution {size} is smaller than {args.model}'s "
                         f"{describe_min_input(model.total_stride, model.min_input)}; use at least {model.min_input}")
    return Preprocessing.for_size(cfg, model.in_chans, size, args.style)
