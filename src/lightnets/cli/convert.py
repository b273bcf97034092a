"""``lightnets convert``: a torchvision or timm MobileNet checkpoint -> a lightnets checkpoint.

The weights are mapped exactly (see :mod:`lightnets.interop`) and written atomically as a
lightnets checkpoint (:mod:`lightnets.checkpoint`); ``lightnets.checkpoint.load_model``
reads it back.
"""

from __future__ import annotations

import argparse

from ..interop import SOURCES
from .table import print_json


def register(sub) -> None:
    supported = "\n".join(f"  {source}: {', '.join(archs)}" for source, archs in SOURCES.items())
    p = sub.add_parser(
        "convert",
        help="load a torchvision / timm MobileNet checkpoint into lightnets and save it",
        description="Map a torchvision or timm MobileNet state dict onto the matching lightnets model "
        "(exact outputs) and write a lightnets checkpoint.",
        epilog=f"supported archs:\n{supported}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("src", help="source state dict (.pth / .pt / .safetensors)")
    p.add_argument("--source", required=True, choices=sorted(SOURCES), help="library that wrote the checkpoint")
    p.add_argument("--arch", required=True, help="the source's model name, e.g. mobilenetv3_large_100")
    p.add_argument("--out", required=True, help="lightnets checkpoint to write (.pth / .pt / .safetensors)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..checkpoint import check_suffix, save_model
    from ..data import Preprocessing
    from ..interop import load_reference_weights

    out = check_suffix(args.out)
    model = load_reference_weights(args.src, args.source, args.arch)
    # the source's preprocessing, which eval, predict and export then read from the checkpoint
    pre = Preprocessing.from_model(model.default_cfg, model.in_chans).to_dict()
    save_model(model, out, extra={"preprocessing": pre})
    params = sum(p.numel() for p in model.parameters())
    if args.json:
        print_json({"src": args.src, "source": args.source, "arch": args.arch, "out": out,
                    "model": model.config["name"], "config": model.config, "params": params, "preprocessing": pre})
        return 0
    variant = ", ".join(f"{k}={model.config[k]}" for k in ("width", "bn_eps", "num_classes", "in_chans"))
    print(f"wrote {out}: lightnets {model.config['name']} ({variant}), {params:,} parameters, "
          f"from {args.source} {args.arch}; preprocessing {pre['input_size']} px, crop {pre['crop_pct']}, "
          f"{pre['interpolation']}, mean {pre['mean']}, std {pre['std']}")
    return 0

