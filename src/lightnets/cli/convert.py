"""``lightnets convert``: a torchvision or timm MobileNet checkpoint -> a lightnets checkpoint.

The weights are mapped exactly (see :mod:`lightnets.interop`) and written atomically:
``.pth`` as ``{"format": "lightnets", "version": 1, "model_config": ..., "state_dict": ...}``,
``.safetensors`` as the state dict with the model config as JSON in the metadata
(``lightnets_config``). ``create_model(**model_config)`` rebuilds the model, with the
config's ``name`` as the first argument.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..interop import SOURCES, load_reference_weights
from ..io import CheckpointError, atomic_path, save_checkpoint
from ..models import LightNet

FORMAT, VERSION = "lightnets", 1
TORCH_SUFFIXES = (".pth", ".pt")


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
    out = Path(args.out)
    if out.suffix not in (*TORCH_SUFFIXES, ".safetensors"):
        raise ValueError(f"--out {out} must end in .pth, .pt or .safetensors, not {out.suffix or 'nothing'!r}")
    model = load_reference_weights(args.src, args.source, args.arch)
    write_checkpoint(model, out)
    params = sum(p.numel() for p in model.parameters())
    variant = ", ".join(f"{k}={model.config[k]}" for k in ("width", "bn_eps", "num_classes", "in_chans"))
    print(f"wrote {out}: lightnets {model.config['name']} ({variant}), {params:,} parameters, "
          f"from {args.source} {args.arch}")
    return 0


def write_checkpoint(model: LightNet, path: Path) -> None:
    """Write ``model`` as a lightnets checkpoint, atomically, in the format the suffix names."""
    if path.suffix in TORCH_SUFFIXES:
        save_checkpoint(
            {"format": FORMAT, "version": VERSION, "model_config": model.config, "state_dict": model.state_dict()},
            path,
        )
        return
    try:
        from safetensors.torch import save_file
    except ImportError:  # pragma: no cover - depends on the install
        raise CheckpointError("writing .safetensors needs `pip install lightnets[safetensors]`") from None
    metadata = {"format": FORMAT, "version": str(VERSION), "lightnets_config": json.dumps(model.config)}
    with atomic_path(path) as tmp:
        save_file(model.state_dict(), str(tmp), metadata=metadata)
