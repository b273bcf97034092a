import json
import re

import pytest
import torch

from lightnets import create_model
from lightnets.checkpoint import load_model, save_model
from lightnets.io import CheckpointError


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("name, variant", [
    ("mobilenet_v3_small_minimal", {"width": 0.75, "num_classes": 7}),
    ("mobilenet_v1", {"act": "relu6", "in_chans": 1}),
])
def test_round_trip_rebuilds_the_same_model(tmp_path, suffix, name, variant):
    model = create_model(name, **variant).eval()
    path = save_model(model, tmp_path / f"m{suffix}")
    loaded = load_model(path)
    assert loaded.config == model.config
    x = torch.randn(2, model.in_chans, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left


def test_load_errors_name_the_problem(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.pth is not a torch checkpoint"):
        load_model(text)
    plain = tmp_path / "plain.pth"
    torch.save(create_model("mobilenet_v2").state_dict(), plain)
    with pytest.raises(CheckpointError, match="not a lightnets checkpoint.*lightnets convert"):
        load_model(plain)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_model(tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="must end in .pth, .pt, .safetensors"):
        load_model(tmp_path / "m.onnx")


def test_shape_mismatch_is_named(tmp_path):
    model = create_model("mobilenet_v3_small", num_classes=10)
    path = save_model(model, tmp_path / "m.pth")
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_config"]["num_classes"] = 5
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match=r"wrong shape \(file vs model\) \(2\): head.fc.weight \(10, 1024\) vs \(5, 1024\)"):
        load_model(path)


def test_unknown_model_in_config(tmp_path):
    path = save_model(create_model("mobilenet_v2"), tmp_path / "m.pth")
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_config"]["name"] = "mobilenet_v9"
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match="cannot build: unknown model 'mobilenet_v9'"):
        load_model(path)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_extra_entries_travel_with_the_model(tmp_path, suffix):
    from lightnets.checkpoint import load_checkpoint

    extra = {"classes": ["cat", "dog"], "preprocessing": {"input_size": 32, "mean": [0.5, 0.5, 0.5]}}
    path = save_model(create_model("mobilenet_v3_small", num_classes=2), tmp_path / f"m{suffix}", extra=extra)
    model, loaded = load_checkpoint(path)
    assert loaded == extra and model.num_classes == 2
    with pytest.raises(ValueError, match="reserved names"):
        save_model(model, tmp_path / "x.pth", extra={"state_dict": {}})


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("classes, reason", [
    (["cat"], "has 1 class names but the classifier has 2 outputs"),
    (["cat", "dog", "fox"], "has 3 class names but the classifier has 2 outputs"),
    ("cat,dog", "must be a list of class names (strings), got str cat,dog"),
])
def test_a_class_list_that_does_not_fit_the_classifier_is_refused_on_load(tmp_path, suffix, classes, reason):
    from lightnets.checkpoint import load_checkpoint

    model = create_model("mobilenet_v3_small", width=0.25, num_classes=2)
    with pytest.raises(ValueError, match=f"extra\\['classes'\\] {re.escape(reason)}"):
        save_model(model, tmp_path / f"direct{suffix}", extra={"classes": classes})
    path = save_model(model, tmp_path / f"m{suffix}", extra={"classes": ["cat", "dog"]})
    if suffix == ".pth":  # a file written by something else, or edited by hand
        ckpt = torch.load(path, weights_only=True)
        ckpt["classes"] = classes
        torch.save(ckpt, path)
    else:
        from safetensors import safe_open
        from safetensors.torch import save_file

        with safe_open(str(path), framework="pt") as f:
            tensors, metadata = {k: f.get_tensor(k) for k in f.keys()}, f.metadata()
        save_file(tensors, str(path), metadata={**metadata, "lightnets_extra": json.dumps({"classes": classes})})
    with pytest.raises(CheckpointError, match=f"{re.escape(str(path))}: its 'classes' entry {re.escape(reason)}"):
        load_checkpoint(path)
