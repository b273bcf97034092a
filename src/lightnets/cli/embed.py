"""`lightnets embed CHECKPOINT_OR_MODEL [IMAGE...] [--pairs FILE] [--out FILE.npz]`: face
embeddings, and with ``--pairs`` the verification metrics on them.

The model is a lightnets checkpoint (loaded with ``weights_only=True``) or a registered
model's name, which builds it with random weights: its embeddings then mean nothing, and the
command says so on stderr (and ``"random_weights": true`` in ``--json``). Images are
preprocessed as the checkpoint's training did, or as the model's ``default_cfg`` says
(MobileFaceNet: the 112x112 crop whole, pixels scaled to [-1, 1]), exactly as `lightnets
predict` does. The embedding is the model's ``pre_logits`` output (MobileFaceNet's BN'd
128-d vector; for a classifier, the features its classifier takes). ``--out`` writes
``paths`` and ``embeddings`` (N x D, float32) to an ``.npz`` file, atomically. ``--pairs``
reads a pairs file (:mod:`lightnets.tasks.embedding.pairs`), embeds its images too, and prints
TAR at each ``--far`` (n/a, with the reason, for a FAR below 1 / the number of different pairs,
which those pairs cannot measure), the best-threshold accuracy over ``--folds`` folds and the ROC AUC.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from .common import add_threads_arg
from .table import format_table, print_json

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".safetensors")


def register(sub) -> None:
    p = sub.add_parser("embed", help="embed images (face verification: TAR@FAR, accuracy on a pairs file)")
    p.add_argument("source", metavar="CHECKPOINT_OR_MODEL",
                   help="a lightnets checkpoint (.pth / .safetensors), or a registered model's name (random weights)")
    p.add_argument("images", nargs="*", metavar="IMAGE",
                   help="image files or folders (every image file under them, sorted); may be left out with --pairs")
    p.add_argument("--out", default=None, metavar="FILE.npz", help="write the paths and embeddings here")
    p.add_argument("--pairs", default=None, metavar="FILE",
                   help="pairs file (IMAGE_A IMAGE_B SAME per line, paths relative to it): verification metrics")
    p.add_argument("--far", type=float, nargs="+", default=[1e-3, 1e-2], metavar="FAR",
                   help="false accept rates to report the TAR at (default 1e-3 1e-2)")
    p.add_argument("--folds", type=int, default=10, help="folds of the best-threshold accuracy (default 10, LFW's)")
    p.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default 32)")
    add_threads_arg(p)
    p.set_defaults(func=run)


def load_embedder(source: str):
    """The model named by ``source`` (eval mode), its preprocessing, and whether its weights are random."""
    from ..checkpoint import load_checkpoint
    from ..models import create_model
    from .predict import preprocessing_of

    if Path(source).suffix in CHECKPOINT_SUFFIXES:
        if not Path(source).is_file():
            raise FileNotFoundError(f"checkpoint not found: {source}")
        model, extra = load_checkpoint(source)
        return model, preprocessing_of(model, extra), False
    if Path(source).exists():
        raise ValueError(f"{source} is not a lightnets checkpoint ({', '.join(CHECKPOINT_SUFFIXES)}) "
                         "nor a registered model's name")
    model = create_model(source).eval()
    return model, preprocessing_of(model, {}), True


def embed_images(model, pre, paths: list[str], batch_size: int):
    """One embedding row per path (a float32 tensor, N x D)."""
    import torch

    from ..data import eval_transform
    from ..data.images import load_image

    transform = eval_transform(pre)
    rows = []
    for start in range(0, len(paths), batch_size):
        batch = torch.stack([transform(load_image(name, pre.in_chans)) for name in paths[start:start + batch_size]])
        with torch.inference_mode():
            rows.append(model.forward_head(model.forward_features(batch), pre_logits=True).float())
    return torch.cat(rows)


def verification(embeddings, index: dict[str, int], pairs, fars: list[float], folds: int) -> dict:
    import torch

    from ..tasks.embedding import best_accuracy, pair_scores, roc, tar_at_far
    from ..tasks.embedding.verification import measurable

    a = embeddings[torch.tensor([index[p.a] for p in pairs])]
    b = embeddings[torch.tensor([index[p.b] for p in pairs])]
    scores, same = pair_scores(a, b), [p.same for p in pairs]
    curve = roc(scores, same)
    tars = []
    for far in fars:
        if not measurable(curve, far):  # below 1 / negatives: reported as n/a, where tar_at_far refuses it
            tars.append({"far": far, "tar": None, "threshold": None,
                         "why_not": f"needs at least {math.ceil(1 / far)} different pairs, got {curve.negatives}"})
            continue
        tar, threshold = tar_at_far(curve, far)
        tars.append({"far": far, "tar": tar, "threshold": threshold, "why_not": None})
    accuracy = best_accuracy(scores, same, folds)
    return {"pairs": len(pairs), "same": curve.positives, "different": curve.negatives, "tar_at_far": tars,
            "accuracy": accuracy.mean, "accuracy_std": accuracy.std, "folds": folds, "auc": curve.auc}


def write_npz(path: str, paths: list[str], embeddings) -> None:
    import numpy as np

    from ..io import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, paths=np.array(paths), embeddings=embeddings.numpy())


def run(args) -> int:
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.folds < 1:
        raise ValueError(f"--folds must be >= 1, got {args.folds}")
    for far in args.far:
        if not 0 < far <= 1:
            raise ValueError(f"--far must be in (0, 1], got {far:g}")
    if not args.images and args.pairs is None:
        raise ValueError(f"give the images to embed after {args.source}, or a pairs file with --pairs")
    if args.out is not None:
        from ..io import check_output_file

        if Path(args.out).suffix != ".npz":
            raise ValueError(f"--out {args.out} must be an .npz file")
        check_output_file(args.out)
    from ..bench.latency import thread_count
    from ..tasks.embedding import read_pairs
    from .predict import image_paths

    pairs = read_pairs(args.pairs) if args.pairs is not None else []
    if len(pairs) < args.folds and pairs:
        raise ValueError(f"--folds {args.folds} is more than the {len(pairs)} pairs in {args.pairs}")
    paths = list(dict.fromkeys(image_paths(args.images) + [p for pair in pairs for p in (pair.a, pair.b)]))
    with thread_count(args.threads):
        model, pre, random_weights = load_embedder(args.source)
        if random_weights:
            print(f"lightnets embed: warning: {args.source} has RANDOM WEIGHTS (no checkpoint given): its embeddings "
                  "and any verification numbers mean nothing", file=sys.stderr)
        embeddings = embed_images(model, pre, paths, args.batch_size)
    metrics = verification(embeddings, {p: i for i, p in enumerate(paths)}, pairs, args.far, args.folds) if pairs \
        else None
    if args.out is not None:
        write_npz(args.out, paths, embeddings)
    if args.json:
        print_json({"source": args.source, "model": model.config["name"], "random_weights": random_weights,
                    "images": len(paths), "embedding_dim": embeddings.shape[1], "out": args.out,
                    "verification": metrics})
        return 0
    print(f"{len(paths)} image(s) -> {embeddings.shape[1]}-d embeddings from {model.config['name']}"
          + (f", written to {args.out}" if args.out else ""))
    if metrics is not None:
        rows = [[f"TAR @ FAR={t['far']:g}", f"{t['tar']:.4f}", f"{t['threshold']:.4f}"] if t["tar"] is not None
                else [f"TAR @ FAR={t['far']:g}", f"n/a ({t['why_not']})", "-"] for t in metrics["tar_at_far"]]
        rows += [[f"accuracy ({metrics['folds']}-fold)", f"{metrics['accuracy']:.4f} +- {metrics['accuracy_std']:.4f}",
                  "-"], ["ROC AUC", f"{metrics['auc']:.4f}", "-"]]
        print(format_table(["metric", "value", "threshold"], rows,
                           title=f"verification on {metrics['pairs']} pairs ({metrics['same']} same, "
                                 f"{metrics['different']} different), cosine similarity"))
    return 0
