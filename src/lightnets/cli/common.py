"""The options shared by the subcommands, one spelling for all of them: ``MODEL``,
``--width``, ``--resolution``, ``--in-chans``, ``--num-classes``, ``--model-kwargs`` for the
commands that build a model, and ``--threads``, ``--batch-size`` where they apply."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import LightNet

# The parameter-counting conventions of lightnets.analysis, named here so that --help needs
# no torch; tests/cli check them against analysis.CONVENTIONS.
CONVENTIONS = ("pytorch", "conv_fc", "conv_fc_weights", "tf_checkpoint")
MODEL_DEFAULTS = {"width": 1.0, "resolution": None, "in_chans": None, "num_classes": None}  # create_model's
# None: the model's own, which most families share (LeNet-5: 32x32 grey digits, 10 classes)
OWN_DEFAULTS = {"resolution": "the model's own input size, 224 for most", "in_chans": "the model's, 3 for most",
                "num_classes": "the model's, 1000 for most"}


def add_model_args(parser: argparse.ArgumentParser, *, sizes: bool = True,
                   num_classes: bool = True, unset: dict[str, str] | None = None) -> None:
    """``MODEL`` and the options that build it: ``--width`` and ``--resolution`` (``sizes``;
    grid takes lists instead), ``--in-chans``, ``--num-classes`` (``num_classes``; train
    takes it from the data) and ``--model-kwargs``. The options named in ``unset`` default
    to None, which the command resolves, and their help gives the ``unset`` text as the
    default (train: the model's, or ``--init-from``'s)."""
    unset = unset or {}

    def default(dest: str) -> tuple[object, str]:
        if dest in unset:
            return None, unset[dest]
        value = MODEL_DEFAULTS[dest]
        return value, OWN_DEFAULTS[dest] if value is None else str(value)

    parser.add_argument("model", metavar="MODEL",
                        help="registered model name (see `lightnets models`)")
    if sizes:
        value, text = default("width")
        parser.add_argument("--width", type=float, default=value, help=f"width multiplier alpha (default {text})")
        value, text = default("resolution")
        parser.add_argument("--resolution", type=int, default=value,
                            help=f"input size in pixels, the resolution multiplier rho (default {text})")
    value, text = default("in_chans")
    parser.add_argument("--in-chans", type=int, default=value, help=f"image channels (default {text})")
    if num_classes:
        value, text = default("num_classes")
        parser.add_argument("--num-classes", type=int, default=value, help=f"classifier outputs (default {text})")
    parser.add_argument("--model-kwargs", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                        help="variant options of the model's builder, after MODEL, e.g. separable=false "
                             "shallow=true (true/false, numbers, words; an unknown key lists the valid ones)")


def progress_lines(args: argparse.Namespace):
    """How a long-running command says what it does, a line at a time as it happens: on
    stdout, or on stderr under ``--json`` (stdout holds the document)."""
    import sys

    stream = sys.stderr if args.json else sys.stdout
    return lambda line: print(line, file=stream, flush=True)


def add_threads_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's current)")


def add_timing_args(parser: argparse.ArgumentParser) -> None:
    """The options of a latency measurement: threads, batch, warm-up and timed runs, progress."""
    add_threads_arg(parser)
    parser.add_argument("--batch-size", type=int, default=1, help="batch size (1 = latency; larger = throughput)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr (for logs)")


def check_timing_args(args: argparse.Namespace) -> None:
    if args.batch_size < 1 or args.runs < 1 or args.warmup < 0:
        raise ValueError(f"need --batch-size >= 1, --runs >= 1, --warmup >= 0; got {args.batch_size}, {args.runs}, "
                         f"{args.warmup}")
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {args.threads}")


def add_convention_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--convention", choices=CONVENTIONS, default="pytorch", help="how parameters are counted")


def resolve_model_kwargs(args: argparse.Namespace) -> None:
    """Replace the ``--model-kwargs`` pairs of a command that builds a model by the keyword
    arguments they stand for, checked against ``args.model``'s builder (before any work)."""
    if "model_kwargs" not in args:
        return
    from .model_kwargs import parse_model_kwargs

    args.model_kwargs = parse_model_kwargs(args.model, args.model_kwargs) if args.model_kwargs else {}


def model_from_args(args: argparse.Namespace) -> LightNet:
    """The model the options describe: a registered classifier, or a dense task's model (segmentation, detection),
    which takes the input size at run time (``--resolution`` is then only the size to measure at)."""
    from ..models import create_model
    from ..tasks.dense import dense_task_of

    dense = dense_task_of(args.model)
    if dense is not None:
        kwargs = {"width": args.width, **args.model_kwargs}
        kwargs |= {k: v for k, v in (("num_classes", args.num_classes), ("in_chans", args.in_chans)) if v is not None}
        return dense.create_model(args.model, **kwargs)
    return create_model(args.model, width=args.width, resolution=args.resolution, num_classes=args.num_classes,
                        in_chans=args.in_chans, **args.model_kwargs)


def input_size(args: argparse.Namespace, model: LightNet) -> int:
    """``--resolution``, or the model's own input size when it is not given."""
    return args.resolution or model.default_cfg["input_size"][-1]


def model_json(args: argparse.Namespace, model: LightNet | None = None) -> dict:
    """The model options of a ``--json`` document, null where the command has none; the
    options left to the model's own defaults are ``model``'s values where it is given."""
    def own(name: str, value):
        return value if value is not None or model is None else {
            "resolution": model.default_cfg["input_size"][-1], "in_chans": model.in_chans,
            "num_classes": model.num_classes}[name]
    return {"model": args.model, "width": getattr(args, "width", None),
            "resolution": own("resolution", getattr(args, "resolution", None)),
            "in_chans": own("in_chans", args.in_chans),
            "num_classes": own("num_classes", getattr(args, "num_classes", None)), "model_kwargs": args.model_kwargs}


def refuse_options(args: argparse.Namespace, options: dict, why: str) -> None:
    """A ValueError naming those of ``options`` (name -> the value that means "not given") the command line gave,
    and ``why`` they do not apply."""
    given = [f"--{name.replace('_', '-')}" for name, unset in options.items() if getattr(args, name) != unset]
    if given:
        raise ValueError(f"{', '.join(given)}: {why}")


def parse_list(text: str, kind: type, what: str) -> list:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{what} must be a comma-separated list of {kind.__name__}s, got {text!r}") from None
    if not values:
        raise ValueError(f"{what} is empty")
    return values


def millions(n: int) -> float:
    return n / 1e6
