"""`lightnets explain`: the seeds' arguments reproduce, with numbers nobody here chose (the
counts follow from the layer shapes by hand; the manifold's errors must fall with n, as
MobileNetV2's Figure 1 shows)."""

import json

import pytest

from lightnets.cli import main
from lightnets.explain import conv_tricks, regularisation, relu_manifold


def test_relu_keeps_the_spiral_only_in_many_dimensions():
    result = relu_manifold()  # the figure's n = 2, 3, 5, 15, 30
    assert result.dims == (2, 3, 5, 15, 30)
    assert list(result.errors) == sorted(result.errors, reverse=True)  # falls as n grows
    assert result.errors[0] > 0.25 and result.errors[-1] < 0.06  # n=2 loses a third, n=30 keeps nearly all
    assert result.errors[-1] < result.errors[0] / 5
    assert result.points.shape == (1000, 2) and all(r.shape == (1000, 2) for r in result.recovered)
    assert relu_manifold(seed=0).errors == result.errors  # reproducible


def test_relu_manifold_refuses_a_one_dimensional_embedding():
    with pytest.raises(ValueError, match=r"dims must be integers >= 2 .*\[1, 5\]"):
        relu_manifold((1, 5))


def test_relu_manifold_cli_writes_the_panels(capsys, tmp_path):
    png = tmp_path / "panels.png"
    assert main(["explain", "relu-manifold", "--dims", "2,30", "--trials", "3", "--png", str(png), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dims"] == [2, 30] and doc["errors"][0] > doc["errors"][1] and doc["trials"] == 3
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# 8x8x16 -> 16 channels, 4 groups, bottleneck 4: parameters from the kernel shapes, MACs = 64 positions x params
PARAMS = {
    "5x5 conv": 25 * 16 * 16, "3x3 conv, 3x3 conv": 2 * 9 * 16 * 16,
    "7x7 conv": 49 * 16 * 16, "1x7 conv, 7x1 conv": 2 * 7 * 16 * 16,
    "3x3 conv": 9 * 16 * 16, "1x1 conv to 4, 3x3 conv": 16 * 4 + 9 * 4 * 16,
    "3x3 conv, 4 groups": 9 * 4 * 16,
    "3x3 depthwise, 1x1 pointwise": 9 * 16 + 16 * 16,
    "1x1 conv, 1x1 conv": 2 * 16 * 16, "1x1 conv 4 groups, 1x1 conv 4 groups": 2 * 4 * 16,
    "1x1 conv 4 groups, shuffle, 1x1 conv 4 groups": 2 * 4 * 16,
}
FIELDS = {"5x5 conv": (5, 5), "3x3 conv, 3x3 conv": (5, 5), "7x7 conv": (7, 7), "1x7 conv, 7x1 conv": (7, 7),
          "1x1 conv to 4, 3x3 conv": (3, 3), "1x1 conv, 1x1 conv": (1, 1)}


def test_conv_tricks_match_hand_counts():
    rows = conv_tricks(8, 8, 16, 16, groups=4, bottleneck=4, runs=0)
    tricks = ["two 3x3 for a 5x5", "1x7 + 7x1 for a 7x7", "1x1 bottleneck before a 3x3"]
    assert [r.trick for r in rows][::2][:3] == tricks
    for r in rows:
        assert r.params == PARAMS[r.layout], r.layout
        assert r.macs == 64 * PARAMS[r.layout], r.layout
        assert r.median_ms is None
        if r.layout in FIELDS:
            assert r.receptive_field == FIELDS[r.layout]
    shuffle = [r for r in rows if r.trick == "channel shuffle"]
    # the shuffle moves no MAC; it reads and writes the 16x8x8 fp32 map once more
    assert shuffle[2].macs == shuffle[1].macs and shuffle[2].traffic - shuffle[1].traffic == 2 * 16 * 8 * 8 * 4


def test_conv_tricks_cli_times_each_layer(capsys):
    assert main(["explain", "conv-tricks", "--input", "8x8x16", "--runs", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"input", "out_channels", "groups", "runs", "rows"} and len(doc["rows"]) == 13
    assert all(r["median_ms"] > 0 for r in doc["rows"])


@pytest.mark.parametrize("argv, message", [
    (["--input", "8x8x16", "--groups", "3"], "groups=3 must divide both the input channels (16)"),
    (["--input", "8x8"], "--input must look like HxWxC"),
    (["--input", "8x8x16", "--runs", "-1"], "runs must be an integer >= 0"),
])
def test_conv_tricks_bad_input_is_one_line(capsys, argv, message):
    assert main(["explain", "conv-tricks", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_regularisation_trains_the_four_settings_from_one_start(tmp_path):
    from lightnets.explain.regularisation import plot_regularisation

    def run():
        return regularisation(2, width=1 / 16, per_class=5, batch_size=10, threads=1)

    result = run()
    assert [r.label for r in result.runs] == ["neither", "dropout", "augmentation", "dropout + augmentation"]
    assert (result.train_images, result.test_images, result.epochs) == (50, 1000, 2)
    assert all(len(r.train_top1) == len(r.test_top1) == len(r.train_loss) == 2 for r in result.runs)
    neither, dropout, augmentation, _ = result.runs
    # the same start and the same batches: only the dropout masks or the crops tell the runs apart
    assert neither.train_loss != dropout.train_loss and neither.train_loss != augmentation.train_loss
    assert [r.to_dict() for r in run().runs] == [r.to_dict() for r in result.runs]  # reproducible
    assert plot_regularisation(result, tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regularisation_cli_writes_the_curves_and_refuses_bad_input(capsys, tmp_path):
    png = tmp_path / "curves.png"
    assert main(["explain", "regularisation", "--epochs", "1", "--width", "0.0625", "--per-class", "2",
                 "--batch-size", "10", "--threads", "1", "--png", str(png), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["train_images"] == 20 and [r["label"] for r in doc["runs"]][0] == "neither" and png.is_file()
    for argv, message in ((["--epochs", "0"], "epochs must be an integer >= 1, got 0"),
                          (["--per-class", "2"], "batch_size 64 is more than the 20 training images")):
        assert main(["explain", "regularisation", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
