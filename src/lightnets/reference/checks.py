"""Published rows paired with the lightnets configuration and convention that reproduce them.

The pairing is data, ``checks.json`` beside ``published.json``: for every checked
MobileNet-family row it names the lightnets model (or single layer) with its width,
input and number of classes, the parameter convention
(:mod:`lightnets.analysis.param_conventions`) and whether the row rounds or truncates.
One generic checker, :func:`evaluate`, counts and compares.

A row our count does not reproduce carries, per quantity, the exact count we expect and
why (:class:`Disagreement`): a misprint the reference README names ("misprint"), the
number of another paper revision that a second source prints too ("revision"), a paper
number the authors' own repository prints otherwise for the same network, as our count does
("superseded": the repository's row, a check our count reproduces, is the second source), or
a gap nobody has explained, with what was tried ("unexplained"). Such a row passes only when
our count equals the expected one *and* still misses the printed value, so nobody
"fixes" an architecture to match a misprint and no wrong count passes as "known to
disagree".
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

import torch

from .. import layers
from ..analysis import CONVENTIONS, profile
from ..models import create_model
from .published import find_row

KINDS = ("misprint", "revision", "superseded", "unexplained")
RULES = ("round", "truncate")
QUANTITIES = ("params", "macs")


@dataclass(frozen=True)
class RowKey:
    """A row of ``published.json``: its ``model`` and ``variant`` fields and a prefix of its ``source``."""

    model: str
    variant: str
    source: str

    def find(self) -> dict:
        return find_row(self.model, self.variant, self.source)


@dataclass(frozen=True)
class Disagreement:
    """Why a printed number is not our count, and the exact count we expect instead."""

    expected: int
    kind: str  # one of KINDS
    why: str
    readme: str | None = None  # the reference README's words naming the misprint
    # revision: another row printing the same number; superseded: the authors' repository row
    # that prints our count for the same network
    second_source: RowKey | None = None


@dataclass(frozen=True)
class Check:
    row: RowKey
    source_label: str  # a short name of the source, for tables
    about: str  # how the source counts, in words
    model: str | None = None  # a registered model ...
    layer: str | None = None  # ... or a block of lightnets.layers
    width: float = 1.0
    num_classes: int = 1000
    options: tuple[tuple[str, object], ...] = ()  # variant keywords of the model, arguments of the layer
    input: int | tuple[int, ...] = 224  # resolution, or (C, H, W) for a layer
    convention: str = "pytorch"
    params_rule: str = "round"  # "round" or "truncate" to the printed precision
    macs_rule: str = "round"
    op_kind: str | None = None  # count only this kind of layer (MobileNetV1 Table 2)
    macs_scaled_from: int | None = None  # printed MACs = count at this resolution x (input / it)^2
    # the precision the source printed, in decimals of millions, where the stored number cannot
    # show it: 0 for "138 million", -2 for "15.3 billion" (15300.0 in published.json)
    params_decimals: int | None = None
    macs_decimals: int | None = None
    note: str | None = None  # how this row departs from its source's convention
    params: Disagreement | None = None
    macs: Disagreement | None = None

    @property
    def name(self) -> str:
        return f"{self.row.model} {self.row.variant}"

    @property
    def disagreements(self) -> tuple[Disagreement, ...]:
        return tuple(d for d in (self.params, self.macs) if d is not None)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    params: int  # our count under the check's convention
    macs: int  # our count at the check's input
    compared_macs: float  # what the printed MACs are compared with: ``macs``, or the rho^2-scaled count
    params_match: bool | None  # does our count print as the row does? None where the row prints none
    macs_match: bool | None
    row: dict = field(repr=False, default_factory=dict)

    @property
    def published_params_m(self) -> float | None:
        return self.row["params_M"]

    @property
    def published_macs_m(self) -> float | None:
        return self.row["madds_M"]

    @property
    def problems(self) -> list[str]:
        """Each way this result differs from what ``checks.json`` says about the row."""
        out = []
        for quantity, published, ours, shown, match in (
            ("params", self.published_params_m, self.params, self.params, self.params_match),
            ("macs", self.published_macs_m, self.macs, self.compared_macs, self.macs_match),
        ):
            disagreement = getattr(self.check, quantity)
            if published is None:
                if disagreement is not None:
                    out.append(f"the row prints no {quantity}, yet an expected count is given")
            elif disagreement is None:
                if not match:
                    rule = getattr(self.check, f"{quantity}_rule")
                    out.append(f"{quantity}: ours {shown / 1e6:.4f}M does not print as {published:g}M ({rule})")
            else:
                if ours != disagreement.expected:
                    out.append(f"{quantity}: ours {ours:,} is not the expected {disagreement.expected:,}")
                if match:
                    out.append(f"{quantity}: ours now prints as {published:g}M; the {disagreement.kind} note is stale")
        return out

    @property
    def as_expected(self) -> bool:
        """Printed numbers reproduced, or, where the data file says they disagree, our exact expected count."""
        return not self.problems


def _decimals(value: float, minimum: int) -> int:
    text = repr(float(value)).rstrip("0").rstrip(".")
    return max(minimum, len(text.split(".")[1]) if "." in text else 0)


def within(counted_m: float, published: float, rule: str, minimum_decimals: int, decimals: int | None = None) -> bool:
    """Does ``counted_m`` print as ``published`` under ``rule`` at the printed precision (the
    number's own decimals, at least ``minimum_decimals``, unless ``decimals`` states it)?"""
    step = 10.0 ** -(_decimals(published, minimum_decimals) if decimals is None else decimals)
    if rule == "truncate":
        return published - 1e-9 <= counted_m < published + step - 1e-9
    return abs(counted_m - published) <= step / 2 + 1e-9


@functools.lru_cache(maxsize=None)  # one entry per checked configuration and input
def _counts(model: str | None, layer: str | None, width: float, num_classes: int, options: tuple,
            convention: str, op_kind: str | None, input_size: int | tuple[int, ...]) -> tuple[int, int]:
    """Params and MACs of a model or layer (or of its ``op_kind`` layers only) at ``input_size``."""
    if layer is not None:
        module = getattr(layers, layer)(**dict(options))
    else:
        with torch.device("meta"):  # params and MACs need shapes only: no weights drawn, no arithmetic done
            module = create_model(model, width=width, num_classes=num_classes, **dict(options))
    prof = profile(module, input_size, convention=convention)
    if op_kind is None:
        return prof.params, prof.macs
    kinds = prof.by_kind()
    if op_kind not in kinds:
        raise ValueError(f"op_kind {op_kind!r} is not a layer kind of {model or layer}; it has {', '.join(kinds)}")
    return kinds[op_kind]["params"], kinds[op_kind]["macs"]


def _count(check: Check, input_size: int | tuple[int, ...]) -> tuple[int, int]:
    return _counts(check.model, check.layer, check.width, check.num_classes, check.options, check.convention,
                   check.op_kind, input_size)


def evaluate(check: Check) -> CheckResult:
    row = check.row.find()
    params, macs = _count(check, check.input)
    compared = macs
    if check.macs_scaled_from is not None:
        compared = _count(check, check.macs_scaled_from)[1] * (check.input / check.macs_scaled_from) ** 2
    pub_p, pub_m = row["params_M"], row["madds_M"]
    # Parameter columns print at least one decimal (2.0M); MAC columns are whole millions
    # unless the row shows decimals.
    p_ok = None if pub_p is None else within(params / 1e6, pub_p, check.params_rule, 1, check.params_decimals)
    m_ok = None if pub_m is None else within(compared / 1e6, pub_m, check.macs_rule, 0, check.macs_decimals)
    return CheckResult(check, params, macs, compared, p_ok, m_ok, row)


# --- reading checks.json ---------------------------------------------------------------

_ENTRY_KEYS = {
    "row_model", "row_variant", "source", "label", "model", "layer", "width", "num_classes", "options", "input",
    "convention", "params_rule", "macs_rule", "op_kind", "macs_scaled_from", "note", "params", "macs",
    "params_decimals", "macs_decimals",
}
_DISAGREEMENT_KEYS = {"expected", "kind", "why", "readme", "second_source"}
_ROW_KEYS = {"row_model", "row_variant", "source"}


def _bad(where: str, message: str) -> ValueError:
    return ValueError(f"checks.json, {where}: {message}")


def _keys(entry: dict, allowed: set[str], where: str, required: set[str] = frozenset()) -> None:
    unknown, missing = sorted(set(entry) - allowed), sorted(required - set(entry))
    if unknown:
        raise _bad(where, f"unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(allowed))}")
    if missing:
        raise _bad(where, f"missing key(s) {', '.join(missing)}")


def _row_key(entry: dict, where: str) -> RowKey:
    _keys(entry, _ROW_KEYS, where, _ROW_KEYS)
    return RowKey(entry["row_model"], entry["row_variant"], entry["source"])


def _disagreement(entry: dict, where: str) -> Disagreement:
    _keys(entry, _DISAGREEMENT_KEYS, where, {"expected", "kind", "why"})
    kind, expected = entry["kind"], entry["expected"]
    if kind not in KINDS:
        raise _bad(where, f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise _bad(where, f"expected must be an exact count (an integer >= 0), got {expected!r}")
    if kind == "misprint" and not entry.get("readme"):
        raise _bad(where, "a misprint must quote the reference README's words for it ('readme')")
    if kind == "revision" and not entry.get("second_source"):
        raise _bad(where, "a revision must name a second source printing the same number ('second_source')")
    if kind == "superseded" and not entry.get("second_source"):
        raise _bad(where, "a superseded number must name the authors' repository row that prints our count "
                          "('second_source')")
    second = entry.get("second_source")
    return Disagreement(expected, kind, entry["why"], entry.get("readme"),
                        None if second is None else _row_key(second, f"{where}, second_source"))


def _check(entry: dict, group: dict, where: str) -> Check:
    _keys(entry, _ENTRY_KEYS, where, _ROW_KEYS)
    if (entry.get("model") is None) == (entry.get("layer") is None):
        raise _bad(where, "give exactly one of 'model' (a registered name) and 'layer' (a lightnets.layers block)")
    if entry.get("layer") is not None:
        if not hasattr(layers, entry["layer"]):
            raise _bad(where, f"layer {entry['layer']!r} is not in lightnets.layers")
        if {"width", "num_classes"} & set(entry):
            raise _bad(where, "a layer takes its channels in 'options', not 'width' or 'num_classes'")
    if entry.get("convention", "pytorch") not in CONVENTIONS:
        raise _bad(where, f"convention {entry['convention']!r} is not one of {', '.join(CONVENTIONS)}")
    for rule in ("params_rule", "macs_rule"):
        if entry.get(rule, "round") not in RULES:
            raise _bad(where, f"{rule} {entry[rule]!r} is not one of {', '.join(RULES)}")
    for precision in ("params_decimals", "macs_decimals"):
        if entry.get(precision) is not None and (isinstance(entry[precision], bool)
                                                 or not isinstance(entry[precision], int)):
            raise _bad(where, f"{precision} must be an integer (decimals of millions), got {entry[precision]!r}")
    size = entry.get("input", 224)
    if entry.get("macs_scaled_from") is not None and not isinstance(size, int):
        raise _bad(where, "macs_scaled_from needs a resolution as input")
    fields = {k: v for k, v in entry.items() if k not in _ROW_KEYS | {"label", "options", "input", *QUANTITIES}}
    return Check(
        row=_row_key({k: entry[k] for k in _ROW_KEYS}, where),
        source_label=entry.get("label", group["label"]),
        about=group["about"],
        options=tuple(sorted(entry.get("options", {}).items())),
        input=size if isinstance(size, int) else tuple(size),
        **{q: _disagreement(entry[q], f"{where}, {q}") for q in QUANTITIES if q in entry},
        **fields,
    )


def parse_checks(data: dict) -> tuple[tuple[Check, ...], tuple[tuple[RowKey, str], ...]]:
    """The checks (each group's defaults merged into its entries) and the rows set aside, with why."""
    checks = []
    for group in data["groups"]:
        _keys(group, {"label", "about", "defaults", "checks"}, f"group {group.get('label')!r}",
              {"label", "about", "checks"})
        for i, entry in enumerate(group["checks"]):
            where = f"group {group['label']!r}, entry {i}"
            checks.append(_check({**group.get("defaults", {}), **entry}, group, where))
    not_checked = []
    for i, entry in enumerate(data["not_checked"]):
        _keys(entry, _ROW_KEYS | {"why"}, f"not_checked, entry {i}", _ROW_KEYS | {"why"})
        not_checked.append((_row_key({k: entry[k] for k in _ROW_KEYS}, f"not_checked, entry {i}"), entry["why"]))
    return tuple(checks), tuple(not_checked)


CHECKS, NOT_CHECKED = parse_checks(json.loads(resources.files(__package__).joinpath("checks.json").read_text()))
