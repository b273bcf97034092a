"""ShuffleNet V2's four guidelines for fast networks, measured on this CPU (Ma et al. 2018,
arXiv:1807.11164, Section 2, Tables 1-4 and appendix Fig. 1).

The paper argues from speed measured on a GPU (batch 8) and an ARM core (Snapdragon 810,
one thread, batch 1; Tables 2-4 head that column "CPU") rather than from FLOPs. Each
guideline is a controlled experiment: networks of equal multiply-adds that differ in one
respect, each a block stacked 10 times on a 56x56 input. ``c`` is the width of a guideline's
first network; the others' widths follow from it so that the MACs stay (nearly) equal:

- G1, equal channel width minimises memory access cost (Table 1): blocks of two 1x1 convs,
  c1 -> c2 -> c1, at c1:c2 = 1:1, 1:2, 1:6, 1:12; c1 = floor(c / sqrt(r)), c2 = r c1, which
  gives the paper's (128,128), (90,180), (52,312), (36,432) at c = 128 and (32,32), (22,44),
  (13,78), (9,108) at c = 32 (the paper prints widths for its x1 columns only). MACs = 10 x 2 hw c1 c2;
  memory access (Eq. 1) hw(c1 + c2) + c1 c2 per conv, least at c1 = c2.
- G2, excessive group convolution increases MAC (Table 2): 10 1x1 group convs c -> c with
  g = 1, 2, 4, 8 groups, the width the largest multiple of g up to c sqrt(g) (the paper's
  128, 180, 256, 360 at c = 128). At c = 64 that gives 176 for g = 8 where the paper prints
  180, a width 8 groups do not divide. MACs = 10 hw c^2 / g.
- G3, network fragmentation reduces the degree of parallelism (Table 3, appendix Fig. 1):
  the block is one 1x1 conv c -> c; 2 or 4 of them in series, at width floor(c / sqrt(k));
  2 or 4 in parallel on the block's input, c / k outputs each, concatenated. MACs = 10 hw c^2.
- G4, element-wise operations are non-negligible (Table 4): ResNet's bottleneck unit at c
  channels (1x1 conv to c/4, 3x3 conv, 1x1 conv back to c; ReLU after each of the first two
  and after the addition of the shortcut), with and without the ReLUs and the shortcut.

The convs have neither bias nor BatchNorm (which inference folds into them), so that only
what a guideline varies moves the numbers. MACs, memory traffic (fp32 bytes read and written
per executed op, batch 1) and elementwise ops come from :func:`~lightnets.analysis.profile`;
time from :func:`~lightnets.bench.latency.time_calls` on the backends of
:mod:`lightnets.bench.backends`, each guideline's networks timed in interleaved rounds (every
round times every network on every backend and batch once) so that a shared machine's drift
favours none of them; the round with the median time stands for each.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..layers.activations import make_activation
from ..layers.conv_norm_act import ConvNormAct

BLOCKS = 10  # every benchmark network stacks its block 10 times (Sec. 2)
SIZE = 56  # the paper's input, 56x56
PLATFORMS = ("GPU", "ARM")


def _conv(in_chs: int, out_chs: int, kernel: int = 1, groups: int = 1, act: str | None = None) -> ConvNormAct:
    return ConvNormAct(in_chs, out_chs, kernel, groups=groups, act=act, norm=False, bias=False)


class StackedBlocks(nn.Sequential):
    """:data:`BLOCKS` copies of a block; ``in_chans`` is the input width lightnets' exporters read."""

    def __init__(self, in_chans: int, block: Callable[[], nn.Module]):
        super().__init__(*(block() for _ in range(BLOCKS)))
        self.in_chans = in_chans


class ParallelFragments(nn.Module):
    """``branches`` 1x1 convs on one input, ``out_chs / branches`` outputs each, concatenated
    (appendix Fig. 1 d, e)."""

    def __init__(self, in_chs: int, out_chs: int, branches: int):
        super().__init__()
        self.branches = nn.ModuleList(_conv(in_chs, out_chs // branches) for _ in range(branches))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], 1)


class BottleneckUnit(nn.Module):
    """ResNet's bottleneck (layers/bottleneck.py) without BN, its ReLUs and its shortcut each
    optional (Table 4)."""

    def __init__(self, chs: int, relu: bool, shortcut: bool):
        super().__init__()
        act = "relu" if relu else None
        self.conv1 = _conv(chs, chs // 4, act=act)
        self.conv2 = _conv(chs // 4, chs // 4, 3, act=act)
        self.conv3 = _conv(chs // 4, chs)
        self.shortcut = shortcut
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv3(self.conv2(self.conv1(x)))
        return self.act(y + x if self.shortcut else y)


def g1_widths(c: int, ratio: int) -> tuple[int, int]:
    """(c1, c2) of G1 at c1:c2 = 1:``ratio``: c1 c2 as near c^2 from below as c2 = ratio c1 allows."""
    c1 = math.isqrt(c * c // ratio)
    return c1, ratio * c1


def g2_width(c: int, groups: int) -> int:
    """G2's width at ``groups``: the largest multiple of ``groups`` up to c sqrt(groups)."""
    most = math.isqrt(c * c * groups)
    return most - most % groups


def series_width(c: int, convs: int) -> int:
    """G3's width of ``convs`` 1x1 convs in series: floor(c / sqrt(convs))."""
    return math.isqrt(c * c // convs)


@dataclass(frozen=True)
class Design:
    """One network of a guideline: the paper's row, the widths that row reads, and its block."""

    label: str
    widths: str
    in_chs: int
    block: Callable[[], nn.Module]

    def build(self) -> StackedBlocks:
        return StackedBlocks(self.in_chs, self.block)


def _g1(c: int) -> tuple[Design, ...]:
    def block(c1: int, c2: int) -> Callable[[], nn.Module]:
        return lambda: nn.Sequential(_conv(c1, c2), _conv(c2, c1))
    return tuple(Design(f"1:{r}", f"({c1}, {c2})", c1, block(c1, c2))
                 for r in (1, 2, 6, 12) for c1, c2 in (g1_widths(c, r),))


def _g2(c: int) -> tuple[Design, ...]:
    def block(w: int, g: int) -> Callable[[], nn.Module]:
        return lambda: _conv(w, w, groups=g)
    return tuple(Design(f"g = {g}", f"c = {w}", w, block(w, g)) for g in (1, 2, 4, 8) for w in (g2_width(c, g),))


def _g3(c: int) -> tuple[Design, ...]:
    def series(w: int, k: int) -> Callable[[], nn.Module]:
        return lambda: nn.Sequential(*(_conv(w, w) for _ in range(k)))

    def parallel(k: int) -> Callable[[], nn.Module]:
        return lambda: ParallelFragments(c, c, k)
    return (Design("1-fragment", f"c = {c}", c, series(c, 1)),
            *(Design(f"{k}-fragment-series", f"{k} x c = {w}", w, series(w, k))
              for k in (2, 4) for w in (series_width(c, k),)),
            *(Design(f"{k}-fragment-parallel", f"{k} x {c} -> {c // k}", c, parallel(k)) for k in (2, 4)))


def _g4(c: int) -> tuple[Design, ...]:
    def block(relu: bool, shortcut: bool) -> Callable[[], nn.Module]:
        return lambda: BottleneckUnit(c, relu, shortcut)
    return tuple(Design(f"ReLU {'yes' if relu else 'no'}, shortcut {'yes' if shortcut else 'no'}",
                        f"{c} -> {c // 4} -> {c}", c, block(relu, shortcut))
                 for relu, shortcut in ((True, True), (True, False), (False, True), (False, False)))


@dataclass(frozen=True)
class PaperColumn:
    """One column of the paper's table: GPU batches (of 8) per second or ARM images per
    second, at first-network width ``c``, one speed per design in the guideline's order.
    Tables 1 and 2 head their columns x1, x2, x4 after the first's widths: c, 2c, 4c (Table
    2's g = 1 row is Table 3's 1-fragment network, and their speeds agree at those widths)."""

    platform: str
    c: int
    speeds: tuple[float, ...]


def _columns(gpu_c: int, gpu: tuple[tuple[float, ...], ...], arm_c: int,
             arm: tuple[tuple[float, ...], ...]) -> tuple[PaperColumn, ...]:
    """The x1, x2, x4 columns of a table from its rows (one speed per column)."""
    return tuple(PaperColumn(platform, c0 * 2 ** i, tuple(row[i] for row in rows))
                 for platform, c0, rows in (("GPU", gpu_c, gpu), ("ARM", arm_c, arm)) for i in range(3))


@dataclass(frozen=True)
class Guideline:
    name: str
    claim: str  # the paper's heading
    table: str
    designs: Callable[[int], tuple[Design, ...]]  # c -> the networks, the reference first
    paper: tuple[PaperColumn, ...]


GUIDELINES = (
    Guideline("G1", "equal channel width minimizes memory access cost", "Table 1", _g1, _columns(
        128, ((1480, 723, 232), (1296, 586, 206), (876, 489, 189), (748, 392, 163)),
        32, ((76.2, 21.7, 5.3), (72.9, 20.5, 5.1), (69.1, 17.9, 4.6), (57.6, 15.1, 4.4)))),
    Guideline("G2", "excessive group convolution increases memory access cost", "Table 2", _g2, _columns(
        128, ((2451, 1289, 437), (1725, 873, 341), (1026, 644, 338), (634, 445, 230)),
        64, ((40.0, 10.2, 2.3), (35.0, 9.5, 2.2), (32.9, 8.7, 2.1), (27.8, 7.5, 1.8)))),
    Guideline("G3", "network fragmentation reduces degree of parallelism", "Table 3", _g3, _columns(
        128, ((2446, 1274, 434), (1790, 909, 336), (752, 745, 349), (1537, 803, 320), (691, 572, 292)),
        64, ((40.2, 10.1, 2.3), (38.6, 10.1, 2.2), (38.4, 10.1, 2.3), (33.4, 9.1, 2.2), (35.0, 8.4, 2.1)))),
    Guideline("G4", "element-wise operations are non-negligible", "Table 4", _g4, _columns(
        32, ((2427, 2066, 1436), (2647, 2256, 1735), (2672, 2121, 1458), (2842, 2376, 1782)),
        32, ((56.7, 16.9, 5.0), (61.9, 18.8, 5.2), (57.3, 18.2, 5.1), (66.3, 20.2, 5.4)))),
)
NAMES = tuple(g.name for g in GUIDELINES)


@dataclass(frozen=True)
class Timing:
    backend: str
    batch: int
    median_ms: float
    ratio: float  # to the guideline's first network on the same backend and batch

    def to_dict(self) -> dict:
        return {"backend": self.backend, "batch": self.batch, "median_ms": self.median_ms, "ratio": self.ratio}


@dataclass(frozen=True)
class DesignRow:
    label: str
    widths: str
    params: int
    macs: int
    elementwise: int
    traffic: int  # fp32 bytes read + written, batch 1
    macs_ratio: float  # to the guideline's first network
    traffic_ratio: float
    times: tuple[Timing, ...]  # empty when not timed
    paper: tuple[float | None, ...]  # the paper's time ratio per platform of PLATFORMS, None where not measured

    def to_dict(self) -> dict:
        return {"label": self.label, "widths": self.widths, "params": self.params, "macs": self.macs,
                "elementwise": self.elementwise, "traffic": self.traffic, "macs_ratio": self.macs_ratio,
                "traffic_ratio": self.traffic_ratio, "times": [t.to_dict() for t in self.times],
                "paper_time_ratio": dict(zip(PLATFORMS, self.paper))}


@dataclass(frozen=True)
class GuidelineResult:
    name: str
    claim: str
    table: str
    rows: tuple[DesignRow, ...]

    def to_dict(self) -> dict:
        return {"name": self.name, "claim": self.claim, "table": self.table, "rows": [r.to_dict() for r in self.rows]}


@dataclass(frozen=True)
class DesignRulesResult:
    channels: int
    size: int
    backends: tuple[str, ...]
    batches: tuple[int, ...]
    threads: int | None
    warmup: int
    runs: int
    rounds: int
    guidelines: tuple[GuidelineResult, ...]

    def to_dict(self) -> dict:
        return {"channels": self.channels, "size": self.size, "backends": list(self.backends),
                "batches": list(self.batches), "threads": self.threads, "warmup": self.warmup, "runs": self.runs,
                "rounds": self.rounds, "guidelines": [g.to_dict() for g in self.guidelines]}


def _check_int(name: str, value, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")


def _check(channels, size, guidelines, backends, batches, threads, warmup, runs, rounds) -> None:
    from ..bench.backends import available_backends

    _check_int("channels", channels, 4)
    if channels % 4:
        raise ValueError(f"channels must be a multiple of 4 (G3's 4 parallel fragments and G4's bottleneck "
                         f"c/4 divide it), got {channels}")
    _check_int("size", size, 1)
    for name, values, valid in (("guidelines", guidelines, NAMES), ("backends", backends, available_backends())):
        unknown = [v for v in values if v not in valid]
        if unknown or not values:
            raise ValueError(f"{name} must be some of {', '.join(valid)}, got {', '.join(map(str, values)) or 'none'}")
    if not batches:
        raise ValueError("batches is empty")
    for batch in batches:
        _check_int("each batch", batch, 1)
    if threads is not None:
        _check_int("threads", threads, 1)
    _check_int("warmup", warmup, 0)
    _check_int("runs (0: count only)", runs, 0)
    _check_int("rounds", rounds, 1)


def design_rules(channels: int = 64, *, size: int = SIZE, guidelines: tuple[str, ...] = NAMES,
                 backends: tuple[str, ...] = ("eager", "ort-fp32"), batches: tuple[int, ...] = (1, 8),
                 threads: int | None = 1, warmup: int = 2, runs: int = 10, rounds: int = 3,
                 progress: Callable[[str], None] | None = None) -> DesignRulesResult:
    """Build, count and time the networks of ``guidelines`` at first-network width
    ``channels`` on a ``size`` x ``size`` input: ``rounds`` interleaved rounds of ``warmup`` +
    ``runs`` calls per network, backend and batch (``runs=0``: count only). ``progress`` is
    told each step of the timing."""
    from ..analysis import profile

    guidelines, backends, batches = tuple(guidelines), tuple(backends), tuple(batches)
    _check(channels, size, guidelines, backends, batches, threads, warmup, runs, rounds)
    say = progress or (lambda line: None)
    results = []
    for guideline in (g for g in GUIDELINES if g.name in guidelines):
        designs = guideline.designs(channels)
        torch.manual_seed(0)
        networks = [d.build().eval() for d in designs]
        counts = [profile(n, (d.in_chs, size, size)) for n, d in zip(networks, designs)]
        times = _time(guideline.name, designs, networks, size, backends, batches, threads, warmup, runs, rounds,
                      say) if runs else {}
        papers = [next((col for col in guideline.paper if col.platform == p and col.c == channels), None)
                  if size == SIZE else None for p in PLATFORMS]
        first = counts[0]
        rows = []
        for i, (design, counted) in enumerate(zip(designs, counts)):
            timed = tuple(Timing(b, n, times[i, b, n], times[i, b, n] / times[0, b, n])
                          for n in batches for b in backends) if times else ()
            rows.append(DesignRow(design.label, design.widths, counted.params, counted.macs, counted.elementwise,
                                  counted.traffic, counted.macs / first.macs, counted.traffic / first.traffic,
                                  timed, tuple(None if col is None else col.speeds[0] / col.speeds[i]
                                               for col in papers)))
        results.append(GuidelineResult(guideline.name, guideline.claim, guideline.table, tuple(rows)))
    return DesignRulesResult(channels, size, backends, batches, threads, warmup, runs, rounds, tuple(results))


def _time(name: str, designs: tuple[Design, ...], networks: list[nn.Module], size: int, backends: tuple[str, ...],
          batches: tuple[int, ...], threads: int | None, warmup: int, runs: int, rounds: int,
          say: Callable[[str], None]) -> dict[tuple[int, str, int], float]:
    """(network index, backend, batch) -> the median time (ms) of the median round."""
    from ..bench.backends import build_backends
    from ..bench.latency import thread_count, time_calls

    per_round: dict[tuple[int, str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as work, thread_count(threads):
        runners = []
        for i, (design, network) in enumerate(zip(designs, networks)):
            say(f"{name}: building {design.label} on {', '.join(backends)}")
            folder = Path(work) / str(i)
            folder.mkdir()
            runners.append(build_backends(network, size, backends, threads, folder))
        inputs = {(i, n): torch.randn(n, d.in_chs, size, size) for i, d in enumerate(designs) for n in batches}
        for r in range(rounds):
            say(f"{name}: timing round {r + 1}/{rounds} ({len(designs)} networks x {len(backends)} backends x "
                f"batch {', '.join(map(str, batches))})")
            for n in batches:
                for i, runner in enumerate(runners):
                    for backend in backends:
                        per_round.setdefault((i, backend, n), []).append(
                            time_calls(runner[backend], inputs[i, n], threads=threads, warmup=warmup,
                                       runs=runs).median_ms)
    return {key: sorted(v)[len(v) // 2] for key, v in per_round.items()}


def thread_words(threads: int | None) -> str:
    return "torch's threads" if threads is None else f"{threads} thread{'s' if threads > 1 else ''}"


def plot_design_rules(result: DesignRulesResult, path: str | Path) -> Path:
    """One panel per guideline: each network's counted MACs and memory traffic and its
    measured time per backend and batch, relative to the guideline's first network, with the
    paper's time ratios where it measured that width (written atomically)."""
    from matplotlib.figure import Figure

    from ..io import atomic_path

    panels = len(result.guidelines)
    cols = min(2, panels)
    rows_ = math.ceil(panels / cols)
    fig = Figure(figsize=(6.4 * cols, 4.4 * rows_), layout="constrained")
    axes = fig.subplots(rows_, cols, squeeze=False).flatten()
    series = [("MACs", "0.55", None), ("memory traffic", "0.8", "//")]
    timings = [(b, n) for n in result.batches for b in result.backends] if result.runs else []
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:cyan")
    width = 0.8 / (len(series) + len(timings))
    for ax, guideline in zip(axes, result.guidelines):
        xs = range(len(guideline.rows))
        bars = [[r.macs_ratio for r in guideline.rows], [r.traffic_ratio for r in guideline.rows]]
        bars += [[next(t.ratio for t in r.times if (t.backend, t.batch) == key) for r in guideline.rows]
                 for key in timings]
        styles = series + [(f"time, {b}, batch {n}", colours[i % len(colours)], None)
                           for i, (b, n) in enumerate(timings)]
        for j, (values, (label, colour, hatch)) in enumerate(zip(bars, styles)):
            ax.bar([x + (j - (len(bars) - 1) / 2) * width for x in xs], values, width, color=colour, hatch=hatch,
                   edgecolor="white" if hatch is None else "0.45", label=label)
        for p, (platform, marker) in enumerate(zip(PLATFORMS, ("v", "^"))):
            values = [r.paper[p] for r in guideline.rows]
            if values[0] is not None:
                ax.plot(list(xs), values, marker, color="black", ms=7, ls="none",
                        label=f"paper's time, {platform} ({'batch 8' if platform == 'GPU' else 'batch 1'})")
        ax.axhline(1, color="black", lw=0.8)
        ax.set_xticks(list(xs), [f"{r.label}\n{r.widths}" for r in guideline.rows], fontsize=7)
        ax.set(ylabel="relative to the first network", title=f"{guideline.name} ({guideline.table}): "
                                                              f"{guideline.claim}")
        ax.title.set_fontsize(9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[panels:]:
        ax.set_visible(False)
    legend = {}  # the bars in panel order, then the paper's markers of any panel
    for ax in axes[:panels]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    legend = dict(sorted(legend.items(), key=lambda item: item[0].startswith("paper")))
    fig.legend(legend.values(), legend.keys(), loc="outside lower center", ncols=min(4, len(legend)), fontsize=8)
    threads = thread_words(result.threads)
    timed = (f"{threads}, median of {result.rounds} interleaved rounds of {result.runs} runs" if result.runs
             else "counted only")
    fig.suptitle(f"ShuffleNet V2's guidelines on this CPU: c = {result.channels}, {result.size}x{result.size} input, "
                 f"{timed}", fontsize=10)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path
