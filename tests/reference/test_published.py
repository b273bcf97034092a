"""Every published MobileNet row the project tracks, reproduced within its printed
rounding under its stated convention (see lightnets/reference/checks.py)."""

import pytest

from lightnets.reference import CHECKS, evaluate, load_published
from lightnets.reference.checks import within


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: f"{c.source[:18]}|{c.label}")
def test_published_row(check):
    result = evaluate(check)
    if check.known_params is None:
        assert result.params_match, f"params {result.params / 1e6:.4f}M vs published {result.published_params_m}M"
    else:
        assert not result.params_match, f"known misprint now matches: {check.known_params}"
    if check.known_macs is None:
        assert result.macs_match, f"MACs {result.macs / 1e6:.3f}M vs published {result.published_macs_m}M"
    else:
        assert not result.macs_match, f"known misprint now matches: {check.known_macs}"


def test_the_issue_rows_are_all_covered():
    covered = {(c.row_model, c.row_variant, c.source) for c in CHECKS}
    v1_readme = [r for r in load_published("MobileNetV1") if r["source"].startswith("tensorflow/models")]
    v2_readme = [r for r in load_published("MobileNetV2") if r["source"].startswith("tensorflow/models")]
    v3 = load_published("MobileNetV3-Large") + load_published("MobileNetV3-Small")
    assert len(v1_readme) == 32 and len(v2_readme) == 22 and len(v3) == 9
    for row in v1_readme + v2_readme + v3:
        assert any(row["model"] == m and row["variant"] == v and row["source"].startswith(s) for m, v, s in covered)


def test_known_disagreements_agree_with_the_other_source():
    """Where a README row is a known misprint, the exact count matches the paper instead."""
    narrow = next(evaluate(c) for c in CHECKS if c.row_variant == "width=0.75,res=224")
    assert within(narrow.macs / 1e6, 325.0, "round", 0)  # paper Table 6
    v025 = next(evaluate(c) for c in CHECKS if c.row_variant == "width=0.25,res=192")
    assert within(v025.macs / 1e6, 30.0, "round", 0)


def test_rounding_rules():
    assert within(300.77, 300, "truncate", 0) and not within(300.77, 300, "round", 0)
    assert within(5.4965, 5.4, "truncate", 1) and not within(5.4965, 5.4, "round", 1)
    assert within(4.2439, 4.24, "round", 1) and not within(4.2539, 4.24, "round", 1)
