"""Fine-tuning starts from our, torchvision's or timm's weights; a new head is said so."""

import pytest
import timm
import torch
import torchvision

from lightnets import create_model
from lightnets.checkpoint import save_model
from lightnets.training import fit_classifier, load_pretrained, train


def test_from_a_lightnets_checkpoint_with_other_classes_then_train(tmp_path, splits, pre, config):
    torch.manual_seed(0)
    source = create_model("mobilenet_v3_small", width=0.25, num_classes=5, drop_rate=0.0)
    path = save_model(source, tmp_path / "five.pth")
    model, origin = load_pretrained(path, "mobilenet_v3_small")
    assert origin == f"initialised from lightnets checkpoint {path}"
    assert fit_classifier(model, 2) == "classifier head re-initialised for 2 classes (the checkpoint's has 5)"
    assert model.training and model.num_classes == 2 and model.config["num_classes"] == 2
    theirs = source.state_dict()
    ours = model.state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours if not k.startswith("head.fc."))
    result = train(model, splits, pre, config(epochs=1))
    assert result.epochs_done == 1


def test_same_classes_keep_the_head(tmp_path):
    path = save_model(create_model("mobilenet_v3_small", width=0.25, num_classes=2), tmp_path / "two.pth")
    model, _ = load_pretrained(path, "mobilenet_v3_small")
    head = model.head.fc.weight.detach().clone()
    assert fit_classifier(model, 2) == "" and torch.equal(model.head.fc.weight, head)


@pytest.mark.parametrize("source, arch, build", [
    ("torchvision", "mobilenet_v3_small", lambda: torchvision.models.mobilenet_v3_small(weights=None)),
    ("timm", "mobilenetv3_small_100", lambda: timm.create_model("mobilenetv3_small_100", pretrained=False)),
])
def test_from_torchvision_and_timm_checkpoints(tmp_path, source, arch, build):
    torch.manual_seed(0)
    reference = build()
    path = tmp_path / f"{arch}.pth"
    torch.save(reference.state_dict(), path)
    model, origin = load_pretrained(path, "mobilenet_v3_small", source=source, arch=arch)
    assert origin == f"initialised from {source} {arch} checkpoint {path}"
    assert "re-initialised for 10 classes (the checkpoint's has 1000)" in fit_classifier(model, 10)
    stem = reference.features[0][0].weight if source == "torchvision" else reference.conv_stem.weight
    assert torch.equal(model.stem.conv.weight, stem)


def test_a_checkpoint_of_another_model_is_refused_naming_both(tmp_path):
    path = save_model(create_model("mobilenet_v2", width=0.35, num_classes=2), tmp_path / "v2.pth")
    with pytest.raises(ValueError, match=r"lightnets checkpoint .*v2.pth holds a mobilenet_v2, but this run trains a "
                                         r"mobilenet_v3_small"):
        load_pretrained(path, "mobilenet_v3_small")
    with pytest.raises(ValueError, match="a torchvision checkpoint needs its arch name, one of: mobilenet_v2, "):
        load_pretrained(path, "mobilenet_v3_small", source="torchvision")
    with pytest.raises(ValueError, match="unknown init source 'keras'; valid: lightnets, torchvision, timm"):
        load_pretrained(path, "mobilenet_v3_small", source="keras")
