"""Every published MobileNet-family row that lightnets/reference/checks.json pairs with a
lightnets configuration: reproduced within its printed rounding under its stated
convention, or, where the data file says the row disagrees, our count equal to the exact
count given there, for a reason the reference notes (or a second source) support."""

import dataclasses
import re
from pathlib import Path

import pytest

from lightnets.cli import main
from lightnets.layers import scale_width
from lightnets.reference import CHECKS, NOT_CHECKED, Disagreement, evaluate, load_published
from lightnets.reference.checks import parse_checks, within

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "src" / "lightnets" / "reference"
SHARED = REPO.parent / "shared" / "reference"  # the project's reference folder, beside the checkout


def _check(model: str, variant: str, source_label: str | None = None):
    hits = [c for c in CHECKS if c.row.model == model and c.row.variant == variant
            and source_label in (None, c.source_label)]
    assert len(hits) == 1, (model, variant, len(hits))
    return hits[0]


def _printed(row: dict, quantity: str) -> float:
    return row["params_M" if quantity == "params" else "madds_M"]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.source_label}|{c.row.model}|{c.row.variant}")
def test_published_row(check):
    result = evaluate(check)
    assert result.as_expected, result.problems
    for quantity, disagreement in (("params", check.params), ("macs", check.macs)):
        if disagreement is not None:  # a row known to disagree is held to our exact count
            assert getattr(result, quantity) == disagreement.expected


def test_a_wrong_count_fails_the_checker():
    check = _check("MobileNetV1", "width=0.5,res=224")
    wrong = dataclasses.replace(check, macs=dataclasses.replace(check.macs, expected=check.macs.expected + 1))
    assert evaluate(wrong).problems == ["macs: ours 149,497,600 is not the expected 149,497,601"]
    assert not evaluate(wrong).as_expected
    matching = _check("MobileNetV1", "width=0.5,res=192")
    stale = dataclasses.replace(matching, macs=Disagreement(109_970_944, "unexplained", "ours ..."))
    assert evaluate(stale).problems == ["macs: ours now prints as 110M; the unexplained note is stale"]
    narrower = dataclasses.replace(matching, width=0.25)
    assert evaluate(narrower).problems == ["params: ours 0.4731M does not print as 1.34M (round)",
                                           "macs: ours 30.2129M does not print as 110M (round)"]


def test_every_check_compares_a_printed_number():
    """A row that prints no parameters and no MACs (accuracy only) is set aside, not checked:
    a check with nothing to compare would pass whatever we count."""
    empty = [c.name for c in CHECKS if c.row.find()["params_M"] is None and c.row.find()["madds_M"] is None]
    assert not empty


def test_every_checked_row_is_one_row_of_published_json():
    keys = [c.row for c in CHECKS] + [row for row, _ in NOT_CHECKED]
    assert len(set(keys)) == len(keys), "a row is listed twice"
    for key in keys:
        key.find()  # raises unless exactly one row has this model, variant and source prefix


def test_every_mobilenet_row_with_params_or_macs_is_checked_or_set_aside_with_a_reason():
    keys = [c.row for c in CHECKS] + [row for row, _ in NOT_CHECKED]
    rows = [r for r in load_published() if "MobileNet" in r["model"] and (r["params_M"], r["madds_M"]) != (None, None)]
    assert len(rows) == 110
    for row in rows:
        owners = [k for k in keys if (k.model, k.variant) == (row["model"], row["variant"])
                  and row["source"].startswith(k.source)]
        assert len(owners) == 1, row
    assert all(why for _, why in NOT_CHECKED)


def test_every_lenet_alexnet_vgg_and_squeezenet_row_with_params_or_macs_is_checked():
    keys = [c.row for c in CHECKS]
    rows = [r for r in load_published() if r["model"].startswith(("LeNet", "AlexNet", "VGG", "SqueezeNet"))
            and (r["params_M"], r["madds_M"]) != (None, None)]
    assert len(rows) == 11
    for row in rows:
        owners = [k for k in keys if (k.model, k.variant) == (row["model"], row["variant"])
                  and row["source"].startswith(k.source)]
        assert len(owners) == 1, row


def _rows_known_to_disagree() -> str:
    text = (REFERENCE / "README.md").read_text()
    section = text.split("## Rows known to disagree")[1].split("\n## ")[0]
    return " ".join(section.split())


def test_each_disagreement_is_a_named_misprint_a_confirmed_revision_or_says_what_was_tried():
    named = _rows_known_to_disagree()
    for check in CHECKS:
        row = check.row.find()
        for quantity in ("params", "macs"):
            d = getattr(check, quantity)
            if d is None:
                continue
            printed = _printed(row, quantity)
            assert d.why.startswith(f"ours {d.expected / 1e6:.3f}M") and f"printed {printed:g}M" in d.why, d.why
            if d.readme is not None:
                assert " ".join(d.readme.split()) in named, d.readme
            if d.kind == "misprint":
                assert d.readme is not None
            elif d.kind == "revision":  # another source prints the same number
                assert d.second_source != check.row and _printed(d.second_source.find(), quantity) == printed
            elif d.kind == "superseded":  # the authors' repository prints our count for this network
                source = d.second_source.find()
                assert source["status"] == "primary-repo" and _printed(source, quantity) != printed
                repo_check = next(c for c in CHECKS if c.row == d.second_source)
                result = evaluate(repo_check)
                assert getattr(repo_check, quantity) is None and result.as_expected, "the repository row must match"
            else:
                assert "Tried" in d.why


def test_the_earlier_revisions_1280_wide_last_layer_gives_its_small_numbers():
    """V3-Small's 2.9M / 2.4M and 0.75's 44M are the earlier revision's Table 2 network, whose
    hidden layer after the pool is 1280 wide instead of 1024; its 66M for 1.0 is not."""
    for width, variant in ((0.75, "dm=0.75, float,res=224"), (1.0, "dm=1.0, float,res=224")):
        check = _check("MobileNetV3-Small", variant)
        ours = evaluate(check)
        pooled = scale_width(576, width)  # Table 2: conv2d 1x1 to 576, pool, then the hidden layer
        extra = (pooled + 1001) * (1280 - 1024)  # both FC layers around the wider hidden layer
        params, macs = ours.params + extra + (1280 - 1024), ours.macs + extra
        assert f"{params / 1e6:.3f}M" in check.params.why and f"{macs / 1e6:.3f}M" in check.macs.why
        assert within(params / 1e6, ours.published_params_m, "truncate", 1)
        assert within(macs / 1e6, ours.published_macs_m, "round", 0) == (width == 0.75)


def test_the_v1_papers_resolution_rows_are_the_224_count_times_rho_squared():
    for variant, base in (("width=1.0,res=160 (paper)", "width=1.0,res=224 (paper)"),
                          ("width=0.5,res=160 (paper)", "width=0.5,res=224 (paper)")):
        scaled, full = evaluate(_check("MobileNetV1", variant)), evaluate(_check("MobileNetV1", base))
        assert scaled.compared_macs == full.macs * (160 / 224) ** 2
        assert scaled.macs_match and not within(scaled.macs / 1e6, scaled.published_macs_m, "round", 0)


def test_readme_misprints_agree_with_the_other_source():
    """Where a README row is a named misprint, the exact count matches the paper or the reference note instead."""
    narrow = evaluate(_check("MobileNetV1", "width=0.75,res=224"))
    assert within(narrow.macs / 1e6, 325.0, "round", 0)  # paper Table 6
    v025 = evaluate(_check("MobileNetV1", "width=0.25,res=192"))
    assert within(v025.macs / 1e6, 30.0, "round", 0)  # reference README: "should be ~30M"


def test_rounding_rules():
    assert within(300.77, 300, "truncate", 0) and not within(300.77, 300, "round", 0)
    assert within(5.4965, 5.4, "truncate", 1) and not within(5.4965, 5.4, "round", 1)
    assert within(4.2439, 4.24, "round", 1) and not within(4.2539, 4.24, "round", 1)


@pytest.mark.parametrize("entry, message", [
    ({"witdh": 0.5}, "unknown key(s) witdh"),
    ({"model": None}, "give exactly one of 'model'"),
    ({"model": None, "layer": "DepthwiseSeparableConv", "width": 0.5}, "a layer takes its channels in 'options'"),
    ({"macs_rule": "floor"}, "macs_rule 'floor' is not one of round, truncate"),
    ({"macs": {"expected": 1, "kind": "misprint", "why": "ours"}}, "a misprint must quote the reference README"),
    ({"macs": {"expected": 1, "kind": "revision", "why": "ours"}}, "a revision must name a second source"),
    ({"macs": {"expected": 1.5, "kind": "unexplained", "why": "ours"}}, "expected must be an exact count"),
    ({"macs": {"expected": 1, "kind": "typo", "why": "ours"}}, "kind 'typo' is not one of misprint"),
])
def test_bad_entries_are_refused_with_what_is_valid(entry, message):
    good = {"row_model": "MobileNetV1", "row_variant": "width=1.0,res=224", "source": "tensorflow/models",
            "model": "mobilenet_v1"}
    data = {"groups": [{"label": "x", "about": "y", "checks": [{**good, **entry}]}], "not_checked": []}
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_checks(data)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the project's shared reference folder is not beside the checkout")
def test_the_shipped_reference_files_are_the_projects():
    for name in ("published.json", "README.md"):
        assert (REFERENCE / name).read_text() == (SHARED / name).read_text(), name


def test_the_report_command_prints_every_row_as_expected(capsys):
    # here, beside the rows' own tests: their counts are cached in this process, so the report costs little more
    assert main(["report", "--no-latency"]) == 0
    assert "243/243 rows as expected (108 disagree as documented" in capsys.readouterr().out
