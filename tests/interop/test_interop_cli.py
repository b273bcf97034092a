"""``lightnets convert`` writes a checkpoint that rebuilds the model and reproduces the source."""

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from lightnets.checkpoint import load_model
from lightnets.cli import main


def read_pth(path):
    checkpoint = torch.load(path, weights_only=True)
    assert (checkpoint["format"], checkpoint["version"]) == ("lightnets", 1)
    return checkpoint["model_config"], checkpoint["state_dict"]


def read_safetensors(path):
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    assert (metadata["format"], metadata["version"]) == ("lightnets", "1")
    return json.loads(metadata["lightnets_config"]), load_file(str(path))


@pytest.mark.parametrize(
    "source, arch, bn_eps, suffix, read",
    [
        ("timm", "mobilenetv3_small_100", 1e-5, ".pth", read_pth),
        ("torchvision", "mobilenet_v3_small", 1e-3, ".safetensors", read_safetensors),
    ],
)
def test_convert_writes_a_checkpoint_that_matches_the_source(
    source, arch, bn_eps, suffix, read, reference, tmp_path, capsys
):
    ref = reference(source, arch)
    src, out = tmp_path / "src.pth", tmp_path / f"out{suffix}"
    torch.save(ref.state_dict(), src)
    assert main(["convert", str(src), "--source", source, "--arch", arch, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert str(out) in printed and "parameters" in printed
    config, _ = read(out)
    assert config["bn_eps"] == bn_eps
    model = load_model(out)
    assert config["name"] in printed and f"{sum(p.numel() for p in model.parameters()):,} parameters" in printed
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert (model(x) - ref(x)).abs().max() < 1e-4
    assert {p.name for p in tmp_path.iterdir()} == {"src.pth", out.name}  # no temporary file left behind


def test_convert_json(reference, tmp_path, capsys):
    ref = reference("torchvision", "mobilenet_v3_small")
    src, out = tmp_path / "src.pth", tmp_path / "out.pth"
    torch.save(ref.state_dict(), src)
    assert main(["convert", str(src), "--source", "torchvision", "--arch", "mobilenet_v3_small", "--out", str(out),
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == {"src", "source", "arch", "out", "model", "config", "params", "preprocessing"}
    assert (d["src"], d["source"], d["arch"], d["out"], d["model"]) == (
        str(src), "torchvision", "mobilenet_v3_small", str(out), "mobilenet_v3_small")
    assert d["params"] == sum(p.numel() for p in ref.parameters()) and d["config"] == read_pth(out)[0]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["--source", "timm", "--arch", "mobilenetv3_small_100", "--out", "out.onnx"],
            "must end in .pth, .pt, .safetensors, not '.onnx'",
        ),
        (
            ["--source", "timm", "--arch", "mobilenetv3_smal_100", "--out", "out.pth"],
            "did you mean mobilenetv3_small_100",
        ),
    ],
)
def test_convert_errors_name_the_bad_value(argv, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"w": torch.zeros(1)}, "src.pth")
    assert main(["convert", "src.pth", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lightnets convert: error:") and expected in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.pth"]
