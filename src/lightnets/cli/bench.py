"""`lightnets bench`: batch-1 CPU latency next to MACs and achieved GMAC/s."""

from __future__ import annotations

from ..analysis import profile
from ..bench import measure_latency
from .common import add_model_args, model_from_args
from .table import print_json


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure CPU latency (median and p90 of repeated runs)")
    add_model_args(p)
    p.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch's current)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.batch < 1:
        raise ValueError(f"--batch must be >= 1, got {args.batch}")
    model = model_from_args(args)
    macs = profile(model, args.resolution).macs * args.batch
    shape = (args.batch, model.in_chans, args.resolution, args.resolution)
    result = measure_latency(model, shape, threads=args.threads, warmup=args.warmup, runs=args.runs)
    gmacs = macs / (result.median_ms / 1e3) / 1e9
    if args.json:
        print_json({"model": args.name, "width": args.width, "resolution": args.resolution,
                    "macs": macs, "gmac_per_s": gmacs, **result.to_dict()})
        return 0
    print(f"{args.name} width={args.width:g} input={args.batch}x{model.in_chans}x{args.resolution}x{args.resolution} "
          f"threads={result.threads} (PyTorch eager, fp32)")
    print(f"  latency  median {result.median_ms:.2f} ms   p90 {result.p90_ms:.2f} ms   min {result.min_ms:.2f} ms"
          f"   ({result.runs} runs after {result.warmup} warm-up)")
    print(f"  MACs     {macs / 1e6:.1f} M   ->   {gmacs:.1f} GMAC/s achieved")
    return 0
