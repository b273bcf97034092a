"""`lightnets predict CHECKPOINT IMAGE...`: top-k labels with probabilities, from a checkpoint alone.

The checkpoint carries the preprocessing training used and the class names; a checkpoint
without them (e.g. converted ImageNet weights) falls back to the model's default_cfg and
prints class indices.
"""

from __future__ import annotations

from pathlib import Path

from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify images with a trained checkpoint")
    p.add_argument("checkpoint", help="lightnets checkpoint (.pth / .safetensors)")
    p.add_argument("images", nargs="+", help="image files")
    p.add_argument("--top-k", type=int, default=5, help="labels to show per image (default 5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def preprocessing_of(model, extra: dict):
    """The checkpoint's preprocessing, or the model's default ImageNet-style one."""
    from ..data import Preprocessing

    if "preprocessing" in extra:
        return Preprocessing.from_dict(extra["preprocessing"])
    return Preprocessing.from_model(model.default_cfg, model.in_chans)


def run(args) -> int:
    import torch

    from ..checkpoint import load_checkpoint

    if args.top_k < 1:
        raise ValueError(f"--top-k must be >= 1, got {args.top_k}")
    from ..data import eval_transform
    from ..data.images import load_image

    model, extra = load_checkpoint(args.checkpoint)
    pre = preprocessing_of(model, extra)
    classes = extra.get("classes") or [str(i) for i in range(model.num_classes)]
    transform = eval_transform(pre)
    k = min(args.top_k, len(classes))
    results = []
    for name in args.images:
        if not Path(name).is_file():
            raise FileNotFoundError(f"image not found: {name}")
        x = transform(load_image(name, pre.in_chans)).unsqueeze(0)
        with torch.inference_mode():
            probs = model(x).softmax(-1)[0]
        p, idx = probs.topk(k)
        results.append({"image": name, "top": [{"label": classes[i], "index": int(i), "probability": float(q)}
                                               for q, i in zip(p.tolist(), idx.tolist())]})
    if args.json:
        print_json(results)
        return 0
    for r in results:
        print(format_table(["label", "probability"], [[t["label"], f"{t['probability']:.4f}"] for t in r["top"]],
                           title=r["image"]))
    return 0
