"""`lightnets eval CHECKPOINT --data PATH` (or `--onnx FILE` / `--pte FILE`): top-1, top-5,
per-class accuracy, confusion matrix PNG and images/s, from a checkpoint or an exported ONNX
file or ExecuTorch program alone (their preprocessing and class names)."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import add_threads_arg
from .predict import add_model_file_args, classifier_of, load_classifier, model_file
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a checkpoint on a labelled image set")
    p.add_argument("checkpoint", nargs="?", metavar="CHECKPOINT",
                   help="lightnets checkpoint (.pth / .safetensors), unless --onnx or --pte names the model")
    add_model_file_args(p)
    p.add_argument("--data", required=True, help="data to evaluate on: its val/test split ('sample' = embedded)")
    p.add_argument("--batch-size", type=int, default=128, help="images per forward pass (default 128)")
    p.add_argument("--workers", type=int, default=0, help="data-loading processes (default 0)")
    add_threads_arg(p)
    p.add_argument("--val-fraction", type=float, default=None,
                   help="for a single ImageFolder tree: held-out share (default: the training run's split, else 0.1)")
    p.add_argument("--seed", type=int, default=None,
                   help="for a single ImageFolder tree: the split's seed (default: the training run's, else 0)")
    p.add_argument("--skip-corrupt", action="store_true", help="leave unreadable images out (and name them)")
    p.add_argument("--confusion", default=None,
                   help="confusion-matrix .png (default: beside the evaluated file, e.g. best.pth.confusion.png)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr (for logs)")
    p.set_defaults(func=run)


def run(args) -> int:
    from torch.utils.data import DataLoader

    from ..bench.latency import thread_count
    from ..data import open_as_trained
    from ..training import evaluate
    from ..training.confusion_plot import plot_confusion

    if args.batch_size < 1 or args.workers < 0:
        raise ValueError(f"need --batch-size >= 1 and --workers >= 0, got {args.batch_size} and {args.workers}")
    path, kind = model_file(args, args.checkpoint)
    source = Path(path)
    png = confusion_path(args.confusion, source)
    with thread_count(args.threads):
        if kind == "checkpoint":
            from .dense import open_checkpoint, evaluate as evaluate_dense

            dense, model, extra = open_checkpoint(path)
            if dense is not None:
                return evaluate_dense(args, dense, model, extra, path)
            clf = classifier_of(model, extra)
        else:
            clf = load_classifier(path, kind, args.threads)
        data = open_as_trained(args.data, pre=clf.pre, trained_on=clf.extra.get("data"),
                               val_fraction=args.val_fraction, seed=args.seed, skip_corrupt=args.skip_corrupt)
        check_classes(clf.extra.get("classes"), len(clf.classes), data.classes)
        loader = DataLoader(data.val, batch_size=args.batch_size, num_workers=args.workers)
        result = evaluate(clf.model, loader, len(data.classes), progress=not (args.json or args.no_progress),
                          desc="eval")
    try:
        plot_confusion(png, result.confusion, data.classes,
                       title=f"{clf.name}: top-1 {result.top1:.2f}%\non {data.source}")
    except OSError as e:
        print(f"lightnets eval: warning: could not write the confusion-matrix PNG {png} ({e}); "
              "the metrics follow", file=sys.stderr)
        png = None
    if args.json:
        print_json({"source": path, "kind": kind, "model": clf.name, "data": data.source, "classes": data.classes,
                    **result.to_dict(), "skipped": data.skipped, "skipped_paths": data.skipped_paths,
                    "confusion_png": png})
        return 0
    print(f"{clf.name} on {data.source} ({result.images:,} images)")
    if data.skipped:
        print(f"  {data.skipped_summary()}")
    top5 = f"top-5 {result.top5:.2f}%   " if result.top5 is not None else ""
    print(f"  top-1 {result.top1:.2f}%   {top5}loss {result.loss:.4f}   "
          f"{result.images_per_s:,.0f} images/s")
    print(format_table(["class", "top-1 (%)", "images"],
                       [[c, acc, int(result.confusion[i].sum())] for i, (c, acc) in
                        enumerate(zip(data.classes, result.per_class))]))
    if png is not None:
        print(f"confusion matrix: {png}")
    return 0


def check_classes(named: list[str] | None, outputs: int, classes: list[str]) -> None:
    """The data to evaluate on has the classes the model was trained on (``named``, where its file names them) and
    as many as the model has outputs."""
    if named is not None and list(named) != list(classes):
        raise ValueError(f"the data's classes {classes} differ from the checkpoint's {list(named)}")
    if outputs != len(classes):
        raise ValueError(f"the model has {outputs} outputs but the data has {len(classes)} classes")


def confusion_path(given: str | None, source: Path) -> Path:
    """``--confusion``, which must name a ``.png``, or one beside the evaluated file named
    after all of its name (``best.pth.confusion.png``, ``best.int8.pte.confusion.png``),
    so the PNGs of a checkpoint and of its exports do not overwrite each other; checked to
    be writable before any work."""
    from ..io import check_output_file

    if given is not None and Path(given).suffix.lower() != ".png":
        raise ValueError(f"--confusion {given} must end in .png: the confusion matrix is written as a PNG image")
    return check_output_file(Path(given) if given is not None else source.with_name(f"{source.name}.confusion.png"),
                             "confusion-matrix PNG")
