"""`lightnets eval` and `lightnets predict` work from a checkpoint alone."""

import json

import pytest
import torch
from PIL import Image

from lightnets import create_model
from lightnets.checkpoint import save_model
from lightnets.cli import main
from lightnets.data import Preprocessing, eval_transform

CLASSES = ["dark", "light"]


@pytest.fixture
def tree(tmp_path):
    """train/ and val/ folders of 32x32 images, dark and light."""
    for split in ("train", "val"):
        for label, value in zip(CLASSES, (30, 220)):
            folder = tmp_path / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                Image.new("RGB", (32, 32), (value + i, value, value - i)).save(folder / f"{i}.png")
    return tmp_path / "data"


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = create_model("mobilenet_v3_small", width=0.25, num_classes=2).eval()
    pre = Preprocessing.cifar(32)
    return save_model(model, tmp_path / "model.pth", extra={"preprocessing": pre.to_dict(), "classes": CLASSES}), model


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_reports_accuracy_and_writes_the_confusion_png(capsys, tree, checkpoint, tmp_path):
    path, model = checkpoint
    code, out, _ = run(capsys, "eval", str(path), "--data", str(tree), "--json")
    d = json.loads(out)
    assert code == 0 and d["images"] == 6 and d["classes"] == CLASSES
    transform = eval_transform(Preprocessing.cifar(32))
    images = [Image.open(p).convert("RGB") for c in CLASSES for p in sorted((tree / "val" / c).iterdir())]
    with torch.no_grad():
        pred = model(torch.stack([transform(i) for i in images])).argmax(1)
    truth = torch.tensor([0, 0, 0, 1, 1, 1])
    assert d["top1"] == pytest.approx(100 * (pred == truth).float().mean().item())
    assert sum(map(sum, d["confusion"])) == 6
    png = tmp_path / "model_confusion.png"
    assert d["confusion_png"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run(capsys, "eval", str(path), "--data", str(tree))
    assert code == 0 and "top-1" in out and "dark" in out and "images/s" in out


def test_predict_gives_sorted_top_k_with_class_names(capsys, tree, checkpoint):
    path, _ = checkpoint
    image = tree / "val" / "light" / "0.png"
    code, out, _ = run(capsys, "predict", str(path), str(image), "--top-k", "5", "--json")
    (result,) = json.loads(out)
    probs = [t["probability"] for t in result["top"]]
    assert code == 0 and len(probs) == 2 and probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0, abs=1e-5) and {t["label"] for t in result["top"]} == set(CLASSES)


def test_grey_and_rgba_images_are_converted(capsys, tmp_path, checkpoint):
    path, _ = checkpoint
    Image.new("L", (40, 40), 128).save(tmp_path / "grey.png")
    Image.new("RGBA", (32, 32), (10, 20, 30, 128)).save(tmp_path / "rgba.png")
    code, out, _ = run(capsys, "predict", str(path), str(tmp_path / "grey.png"), str(tmp_path / "rgba.png"))
    assert code == 0 and out.count("probability") == 2


def test_bad_input(capsys, tmp_path, tree, checkpoint):
    path, _ = checkpoint
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    cases = [
        (["predict", str(path), str(tmp_path / "missing.png")], "image not found"),
        (["predict", str(path), str(tmp_path / "broken.jpg")], "cannot read image"),
        (["predict", str(path), str(tree / "val" / "dark" / "0.png"), "--top-k", "0"], "--top-k must be >= 1"),
        (["eval", str(tmp_path / "nope.pth"), "--data", str(tree)], "checkpoint not found"),
        (["eval", str(path), "--data", str(tmp_path / "nothing")], "nothing"),
    ]
    for argv, message in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and message in err, (argv, err)
    other = save_model(create_model("mobilenet_v3_small", width=0.25, num_classes=2), tmp_path / "other.pth",
                       extra={"preprocessing": Preprocessing.cifar(32).to_dict(), "classes": ["a", "b"]})
    code, _, err = run(capsys, "eval", str(other), "--data", str(tree))
    assert code == 2 and "differ from the checkpoint's ['a', 'b']" in err
