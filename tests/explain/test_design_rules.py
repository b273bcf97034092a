"""`lightnets explain design-rules`: ShuffleNet V2's guideline networks hold their MACs equal
as the paper's formulas say (Section 2: B = hw c1 c2 per 1x1 conv, hw c1 c2 / g grouped),
their widths are the paper's Tables 1 and 2, and the counted memory traffic is its memory
access cost (Eq. 1 and 2) in fp32 bytes."""

import json

import pytest

from lightnets.cli import main
from lightnets.explain.design_rules import BLOCKS, design_rules, g1_widths, g2_width, series_width

PNG = b"\x89PNG\r\n\x1a\n"


def test_widths_are_the_papers():
    assert [g1_widths(128, r) for r in (1, 2, 6, 12)] == [(128, 128), (90, 180), (52, 312), (36, 432)]  # Table 1 GPU
    assert [g1_widths(32, r) for r in (1, 2, 6, 12)] == [(32, 32), (22, 44), (13, 78), (9, 108)]  # Table 1 ARM
    assert [g2_width(128, g) for g in (1, 2, 4, 8)] == [128, 180, 256, 360]  # Table 2 GPU
    # Table 2 ARM prints 64, 90, 128, 180; 8 groups do not divide 180
    assert [g2_width(64, g) for g in (1, 2, 4, 8)] == [64, 90, 128, 176]
    assert [series_width(64, k) for k in (1, 2, 4)] == [64, 45, 32]


def hand_macs(guideline: str, c: int, hw: int) -> list[int]:
    """Each network's MACs from the paper's formulas, 10 blocks of them."""
    if guideline == "G1":
        return [BLOCKS * 2 * hw * c1 * c2 for c1, c2 in (g1_widths(c, r) for r in (1, 2, 6, 12))]
    if guideline == "G2":
        return [BLOCKS * hw * g2_width(c, g) ** 2 // g for g in (1, 2, 4, 8)]
    if guideline == "G3":  # 1, 2, 4 in series; 2, 4 in parallel (c -> c / k each, concatenated)
        return [BLOCKS * k * hw * series_width(c, k) ** 2 for k in (1, 2, 4)] + [BLOCKS * hw * c * c] * 2
    m = c // 4  # G4: 1x1 c -> c/4, 3x3 c/4 -> c/4, 1x1 c/4 -> c, whatever the ReLUs and the shortcut
    return [BLOCKS * hw * (c * m + 9 * m * m + m * c)] * 4


def fp32_access(hw: int, c1: int, c2: int, groups: int = 1) -> int:
    """Eq. 2 (Eq. 1 at g = 1): hw (c1 + c2) + c1 c2 / g, in fp32 bytes."""
    return 4 * (hw * (c1 + c2) + c1 * c2 // groups)


@pytest.mark.parametrize("c", [32, 128])
def test_macs_are_the_papers_and_held_equal(c):
    result = design_rules(c, size=8, runs=0)
    assert [g.name for g in result.guidelines] == ["G1", "G2", "G3", "G4"]
    for g in result.guidelines:
        assert [r.macs for r in g.rows] == hand_macs(g.name, c, 64), g.name
        assert all(0.94 <= r.macs_ratio <= 1 for r in g.rows), g.name  # integer widths: at most 6% fewer
        assert all(r.times == () for r in g.rows)
    g1, g2, g3, g4 = result.guidelines
    assert [r.traffic for r in g1.rows] == [BLOCKS * 2 * fp32_access(64, *g1_widths(c, r)) for r in (1, 2, 6, 12)]
    assert [r.traffic for r in g2.rows] == [BLOCKS * fp32_access(64, g2_width(c, g), g2_width(c, g), g)
                                            for g in (1, 2, 4, 8)]
    for g in (g1, g2):  # at (nearly) equal MACs, access cost grows away from c1 = c2 and with g
        traffic = [r.traffic for r in g.rows]
        assert all(a < b for a, b in zip(traffic, traffic[1:])), g.name
    assert all(r.elementwise == 0 for r in g1.rows + g2.rows + g3.rows)  # convs and a concat only
    # G4: ReLUs after the 1x1, the 3x3 and the sum, and the sum itself: 8x8 maps of c/4, c/4, c, c channels
    relu, add = BLOCKS * 64 * (c // 4 + c // 4 + c), BLOCKS * 64 * c
    assert [r.elementwise for r in g4.rows] == [relu + add, relu, add, 0]


def test_paper_ratios_where_it_measured_that_width():
    (g4,) = design_rules(32, guidelines=("G4",), runs=0).guidelines  # Table 4 at c = 32, 56x56
    assert g4.rows[0].paper == (1.0, 1.0)
    assert g4.rows[1].paper == pytest.approx((2427 / 2647, 56.7 / 61.9))  # speeds as times: without the shortcut
    (g4,) = design_rules(32, size=8, guidelines=("G4",), runs=0).guidelines
    assert all(r.paper == (None, None) for r in g4.rows)


def test_cli_times_each_network_and_writes_the_panels(capsys, tmp_path):
    png = tmp_path / "rules.png"
    assert main(["explain", "design-rules", "--channels", "8", "--size", "8", "--guidelines", "G2,G4",
                 "--backends", "eager", "--batches", "1,2", "--warmup", "0", "--runs", "1", "--rounds", "2",
                 "--png", str(png), "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert set(doc) == {"channels", "size", "backends", "batches", "threads", "warmup", "runs", "rounds",
                        "guidelines", "png"}
    assert [g["name"] for g in doc["guidelines"]] == ["G2", "G4"] and "G2: timing round 2/2" in err
    for g in doc["guidelines"]:
        assert [(t["backend"], t["batch"]) for t in g["rows"][0]["times"]] == [("eager", 1), ("eager", 2)]
        assert all(t["ratio"] == 1.0 for t in g["rows"][0]["times"])
        assert all(t["median_ms"] > 0 for r in g["rows"] for t in r["times"])
    assert png.read_bytes()[:8] == PNG


def test_cli_counts_only_with_no_runs(capsys, tmp_path):
    png = tmp_path / "rules.png"
    assert main(["explain", "design-rules", "--size", "8", "--guidelines", "G1", "--runs", "0",
                 "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "G1 (Table 1): equal channel width" in out and "(18, 216)" in out and "not timed" in out
    assert png.read_bytes()[:8] == PNG


@pytest.mark.parametrize("argv, message", [
    (["--channels", "30"], "channels must be a multiple of 4"),
    (["--channels", "0"], "channels must be an integer >= 4, got 0"),
    (["--guidelines", "G1,G5"], "guidelines must be some of G1, G2, G3, G4, got G1, G5"),
    (["--backends", "eager,tensorrt"], "backends must be some of eager, eager-folded-cl, ort-fp32"),
    (["--batches", "1,0"], "each batch must be an integer >= 1, got 0"),
    (["--batches", "one"], "--batches must be a comma-separated list of ints"),
    (["--runs", "-1"], "runs (0: count only) must be an integer >= 0, got -1"),
    (["--rounds", "0"], "rounds must be an integer >= 1, got 0"),
    (["--threads", "0"], "threads must be an integer >= 1, got 0"),
])
def test_bad_options_are_one_line(capsys, tmp_path, argv, message):
    assert main(["explain", "design-rules", *argv, "--png", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.png").exists()
