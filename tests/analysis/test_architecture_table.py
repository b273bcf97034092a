"""`lightnets table`: the papers' architecture tables, reproduced row by row from the built
networks, with each row's cost from what executes adding up to the network's."""

import json

from lightnets import create_model, profile
from lightnets.analysis.architecture_table import architecture_table
from lightnets.cli import main

# MobileNetV2 Table 2, as printed: Input, Operator, t, c, n, s
V2_TABLE_2 = [
    ("224x224x3", "conv2d", "-", 32, 1, 2),
    ("112x112x32", "bottleneck", 1, 16, 1, 1),
    ("112x112x16", "bottleneck", 6, 24, 2, 2),
    ("56x56x24", "bottleneck", 6, 32, 3, 2),
    ("28x28x32", "bottleneck", 6, 64, 4, 2),
    ("14x14x64", "bottleneck", 6, 96, 3, 1),
    ("14x14x96", "bottleneck", 6, 160, 3, 2),
    ("7x7x160", "bottleneck", 6, 320, 1, 1),
    ("7x7x320", "conv2d 1x1", "-", 1280, 1, 1),
    ("7x7x1280", "avgpool", "-", "-", 1, "-"),
    ("1x1x1280", "conv2d 1x1", "-", 1000, "-", "-"),
]
# MobileNetV3-Large Table 1: Input, Operator, exp size, #out, SE, NL, s
V3_LARGE_TABLE_1 = [
    ("224x224x3", "conv2d", "-", 16, "-", "HS", 2),
    ("112x112x16", "bneck, 3x3", 16, 16, "-", "RE", 1),
    ("112x112x16", "bneck, 3x3", 64, 24, "-", "RE", 2),
    ("56x56x24", "bneck, 3x3", 72, 24, "-", "RE", 1),
    ("56x56x24", "bneck, 5x5", 72, 40, "yes", "RE", 2),
    ("28x28x40", "bneck, 5x5", 120, 40, "yes", "RE", 1),
    ("28x28x40", "bneck, 5x5", 120, 40, "yes", "RE", 1),
    ("28x28x40", "bneck, 3x3", 240, 80, "-", "HS", 2),
    ("14x14x80", "bneck, 3x3", 200, 80, "-", "HS", 1),
    ("14x14x80", "bneck, 3x3", 184, 80, "-", "HS", 1),
    ("14x14x80", "bneck, 3x3", 184, 80, "-", "HS", 1),
    ("14x14x80", "bneck, 3x3", 480, 112, "yes", "HS", 1),
    ("14x14x112", "bneck, 3x3", 672, 112, "yes", "HS", 1),
    ("14x14x112", "bneck, 5x5", 672, 160, "yes", "HS", 2),
    ("7x7x160", "bneck, 5x5", 960, 160, "yes", "HS", 1),
    ("7x7x160", "bneck, 5x5", 960, 160, "yes", "HS", 1),
    ("7x7x160", "conv2d, 1x1", "-", 960, "-", "HS", 1),
    ("7x7x960", "pool", "-", "-", "-", "-", 1),
    ("1x1x960", "conv2d 1x1, NBN", "-", 1280, "-", "HS", 1),
    ("1x1x1280", "conv2d 1x1, NBN", "-", 1000, "-", "-", 1),
]


def rows(table):
    return [(row.input_text, *row.cells) for row in table.rows]


def test_mobilenet_v2_table_2():
    model = create_model("mobilenet_v2")
    table = architecture_table(model, 224)
    assert rows(table) == V2_TABLE_2
    counted = profile(model, 224)
    assert table.macs == counted.macs == sum(r.macs for r in table.rows)
    assert sum(r.params for r in table.rows) == counted.params


def test_mobilenet_v3_large_table_1():
    assert rows(architecture_table(create_model("mobilenet_v3_large"), 224)) == V3_LARGE_TABLE_1


def test_mobilenet_v1_table_1_rows_and_the_first_separable_layer():
    table = architecture_table(create_model("mobilenet_v1"), 224)
    assert len(table.rows) == 1 + 2 * 13 + 2  # conv, 13 x (dw, pw), avg pool, FC
    assert rows(table)[:3] == [("224x224x3", "Conv / s2", "3x3x3x32"), ("112x112x32", "Conv dw / s1", "3x3x32 dw"),
                               ("112x112x32", "Conv / s1", "1x1x32x64")]
    assert rows(table)[-2:] == [("7x7x1024", "Avg Pool / s1", "Pool (global)"), ("1x1x1024", "FC / s1", "1024x1000")]
    # the reference README's worked example: the first separable layer, DW 3,612,672 and PW 25,690,112 MACs
    assert [r.macs for r in table.rows[1:3]] == [3_612_672, 25_690_112]


def test_width_and_resolution_rescale_the_table(capsys):
    assert main(["table", "mobilenet_v2", "--width", "0.5", "--resolution", "160", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"][0]["input"] == "160x160x3" and doc["rows"][0]["cells"][2] == 16
    assert doc["rows"][-2]["input"] == "5x5x1280"  # the last conv keeps 1280 below width 1
    assert doc["macs"] == profile(create_model("mobilenet_v2", width=0.5), 160).macs


def test_a_model_without_a_paper_table_says_so(monkeypatch, capsys):
    from lightnets.models import registry

    entry = registry.MODELS["mobilenet_v1"]
    monkeypatch.setitem(registry.MODELS, "mobilenet_v1", type(entry)(entry.builder, entry.preset, entry.paper))
    assert main(["table", "mobilenet_v1"]) == 2
    assert "mobilenet_v1 has no paper table in lightnets yet" in capsys.readouterr().err


def test_the_table_defaults_to_the_models_own_input_size(capsys):
    assert main(["table", "mobilenet_v3_small"]) == 0
    out = capsys.readouterr().out
    assert "width 1, 224x224 input" in out.splitlines()[0]
    assert f"total: {profile(create_model('mobilenet_v3_small'), 224).macs:,} MACs" in out
