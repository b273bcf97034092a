"""`lightnets conv-cost`: standard conv vs depthwise + pointwise, the seeds' worked example."""

from __future__ import annotations

from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("conv-cost", help="standard vs depthwise separable convolution cost")
    p.add_argument("--input", required=True, metavar="HxWxC", help="input size, e.g. 5x5x3 or 112x112x32")
    p.add_argument("--out", type=int, required=True, help="output channels N")
    p.add_argument("--kernel", type=int, default=3, help="kernel size k (default 3)")
    p.add_argument("--stride", type=int, default=1)
    p.set_defaults(func=run)


def parse_input(text: str) -> tuple[int, int, int]:
    parts = text.lower().split("x")
    try:
        h, w, c = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--input must look like HxWxC (e.g. 5x5x3), got {text!r}") from None
    return h, w, c


def run(args) -> int:
    from ..analysis import conv_cost

    h, w, c = parse_input(args.input)
    cost = conv_cost(h, w, c, args.out, args.kernel, args.stride)
    theory = 1 / args.out + 1 / args.kernel**2
    if args.json:
        print_json({"input": {"height": h, "width": w, "channels": c}, "out_channels": args.out,
                    "kernel": args.kernel, "stride": args.stride,
                    "standard": {"params": cost.standard_params, "macs": cost.standard_macs},
                    "depthwise": {"params": cost.depthwise_params, "macs": cost.depthwise_macs},
                    "pointwise": {"params": cost.pointwise_params, "macs": cost.pointwise_macs},
                    "separable": {"params": cost.separable_params, "macs": cost.separable_macs},
                    "ratio": cost.ratio, "ratio_formula": theory})
        return 0
    k = args.kernel
    print(format_table(
        ["", "params", "MACs"],
        [[f"standard {k}x{k} conv", cost.standard_params, cost.standard_macs],
         [f"  depthwise {k}x{k}", cost.depthwise_params, cost.depthwise_macs],
         ["  pointwise 1x1", cost.pointwise_params, cost.pointwise_macs],
         ["depthwise separable", cost.separable_params, cost.separable_macs]],
        title=f"{h}x{w}x{c} input -> {args.out} channels, {k}x{k} kernels, stride {args.stride}, "
              f"padding {k // 2}, no bias",
    ))
    print(f"separable / standard MACs = {cost.ratio:.4f};  1/N + 1/k^2 = 1/{args.out} + 1/{k * k} = {theory:.4f}")
    return 0
