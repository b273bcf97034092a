"""`lightnets eval` and `lightnets predict` work from a checkpoint or an exported model alone."""

import contextlib
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from lightnets import create_model
from lightnets.checkpoint import save_model
from lightnets.cli import main
from lightnets.data import Preprocessing, eval_transform

CLASSES = ["dark", "light"]
EVAL_KEYS = {"source", "kind", "model", "data", "classes", "loss", "top1", "top5", "per_class", "confusion", "images",
             "seconds", "images_per_s", "skipped", "skipped_paths", "confusion_png"}
PREDICT_KEYS = {"source", "kind", "model", "classes", "top_k", "classified", "results"}
EXPORT_KEYS = {"source", "out", "format", "int8", "dynamic_hw", "size_bytes", "max_abs_diff", "scale", "int8_check",
               "calibration_images", "max_batch", "mixconvs_merged"}


def write_tree(root):
    """root/data/{train,val}/{dark,light}/{0,1,2}.png: 32x32 images, dark and light."""
    for split in ("train", "val"):
        for label, value in zip(CLASSES, (30, 220)):
            folder = root / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                Image.new("RGB", (32, 32), (value + i, value, value - i)).save(folder / f"{i}.png")
    return root / "data"


def save_checkpoint(path):
    torch.manual_seed(0)
    model = create_model("mobilenet_v3_small", width=0.25, num_classes=2).eval()
    pre = Preprocessing.cifar(32)
    return save_model(model, path, extra={"preprocessing": pre.to_dict(), "classes": CLASSES}), model


@pytest.fixture
def tree(tmp_path):
    return write_tree(tmp_path)


@pytest.fixture
def checkpoint(tmp_path):
    return save_checkpoint(tmp_path / "model.pth")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A checkpoint, its `lightnets export --json` ONNX file and a data tree, made once
    (exports take seconds); the export's stdout and stderr are in export.out / export.err."""
    root = tmp_path_factory.mktemp("exported")
    path, model = save_checkpoint(root / "best.pth")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["export", str(path), "--format", "onnx", "--json"]) == 0
    (root / "export.out").write_text(out.getvalue())
    (root / "export.err").write_text(err.getvalue())
    return root, model, write_tree(root)


def probabilities(model, paths):
    """The model's softmax for each image, one image at a time (the reference for batched runs)."""
    transform = eval_transform(Preprocessing.cifar(32))
    with torch.no_grad():
        return [model(transform(Image.open(p).convert("RGB")).unsqueeze(0)).softmax(-1)[0] for p in paths]


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
    png = tmp_path / "model.pth.confusion.png"
    assert d["confusion_png"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run(capsys, "eval", str(path), "--data", str(tree))
    assert code == 0 and "top-1" in out and "dark" in out and "images/s" in out


def test_predict_gives_sorted_top_k_with_class_names(capsys, tree, checkpoint):
    path, _ = checkpoint
    image = tree / "val" / "light" / "0.png"
    code, out, _ = run(capsys, "predict", str(path), str(image), "--top-k", "5", "--json")
    (result,) = json.loads(out)["results"]
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
        (["predict", str(path), str(tree / "val" / "dark" / "0.png"), "--top-k", "0"], "--top-k must be >= 1"),
        (["eval", str(tmp_path / "nope.pth"), "--data", str(tree)], "checkpoint not found"),
        (["eval", str(path), "--data", str(tmp_path / "nothing")], "nothing"),
        (["eval", str(path), "--data", str(tree), "--threads", "0"], "threads must be an integer >= 1, got 0"),
        (["predict", str(path), str(tree / "val" / "dark" / "0.png"), "--threads", "0"],
         "threads must be an integer >= 1, got 0"),
    ]
    for argv, message in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and message in err, (argv, err)
    other = save_model(create_model("mobilenet_v3_small", width=0.25, num_classes=2), tmp_path / "other.pth",
                       extra={"preprocessing": Preprocessing.cifar(32).to_dict(), "classes": ["a", "b"]})
    code, _, err = run(capsys, "eval", str(other), "--data", str(tree))
    assert code == 2 and "differ from the checkpoint's ['a', 'b']" in err


def single_error_line(err, command):
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith(f"lightnets {command}: error: ") and "Traceback" not in err


def test_unreadable_checkpoints_end_in_one_line_naming_the_file(capsys, tmp_path, tree):
    image = str(tree / "val" / "dark" / "0.png")
    empty, noise = tmp_path / "empty.pth", tmp_path / "noise.pth"
    empty.write_bytes(b"")
    noise.write_bytes(bytes(range(7, 250)) * 4)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "last.pth").write_bytes(b"")
    cases = [
        (["predict", str(empty), image], f"{empty} is empty (0 bytes)"),
        (["predict", str(noise), image], f"{noise} is not a torch checkpoint (.pth / .pt) or a safetensors file"),
        (["eval", str(empty), "--data", str(tree)], f"{empty} is empty (0 bytes)"),
        (["export", str(empty), "--format", "onnx", "--out", str(tmp_path / "m.onnx")], f"{empty} is empty"),
        (["train", "mobilenet_v3_small", "--width", "0.25", "--data", str(tree), "--out", str(run_dir),
          "--resume", "--epochs", "1", "--batch-size", "2", "--no-progress"], f"{run_dir / 'last.pth'} is empty (0 bytes)"),
    ]
    for argv, message in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and message in err and single_error_line(err, argv[0]), (argv, err)
        assert "weights_only" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "empty.pth", "noise.pth", "run"]
    assert [p.name for p in run_dir.iterdir()] == ["last.pth"]


def test_a_class_list_that_does_not_fit_the_classifier_is_named(capsys, tree, checkpoint):
    path, _ = checkpoint
    ckpt = torch.load(path, weights_only=True)
    ckpt["classes"] = ["dark"]
    torch.save(ckpt, path)
    code, _, err = run(capsys, "predict", str(path), str(tree / "val" / "dark" / "0.png"))
    assert code == 2 and single_error_line(err, "predict"), err
    assert f"{path}: its 'classes' entry has 1 class names but the classifier has 2 outputs" in err


def test_predict_classifies_a_folder_in_batches_and_reports_unreadable_images(capsys, tmp_path, checkpoint):
    path, model = checkpoint
    folder = tmp_path / "images"
    for i, value in enumerate((20, 90, 160, 230)):
        (folder / f"sub{i % 2}").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 36), (value, 255 - value, value // 2)).save(folder / f"sub{i % 2}" / f"{i}.png")
    broken = folder / "sub0" / "1_broken.jpg"
    broken.write_bytes(b"not a jpeg")
    (folder / "notes.txt").write_text("not an image, and not named like one")
    code, out, err = run(capsys, "predict", str(path), str(folder), "--batch-size", "2", "--json")
    results = json.loads(out)["results"]
    good = [folder / "sub0" / "0.png", folder / "sub0" / "2.png", folder / "sub1" / "1.png", folder / "sub1" / "3.png"]
    assert code == 0 and [r["image"] for r in results] == sorted(map(str, [*good, broken]))
    failed = [r for r in results if r["error"] is not None]
    assert [r["image"] for r in failed] == [str(broken)] and failed[0]["top"] is None
    assert failed[0]["error"].startswith(f"cannot read image {broken}: ")
    assert err.strip() == f"lightnets predict: warning: {failed[0]['error']}"
    assert "skip" not in err  # predict has no --skip-corrupt to suggest
    expected = dict(zip(map(str, good), probabilities(model, good)))
    for r in results:
        if r["top"] is not None:
            probs = torch.tensor([t["probability"] for t in sorted(r["top"], key=lambda t: t["index"])])
            torch.testing.assert_close(probs, expected[r["image"]], rtol=1e-5, atol=1e-6)
            assert [t["label"] for t in r["top"]] == [CLASSES[t["index"]] for t in r["top"]]


def test_predict_fails_only_when_nothing_could_be_classified(capsys, tmp_path, checkpoint):
    path, _ = checkpoint
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    code, out, err = run(capsys, "predict", str(path), str(broken))
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [f"lightnets predict: warning: cannot read image {broken}: "
                                        + err.split(f"cannot read image {broken}: ")[1].splitlines()[0],
                                        "lightnets predict: error: none of the 1 image(s) could be read"]
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "predict", str(path), str(tmp_path / "empty"))
    assert code == 2 and single_error_line(err, "predict") and f"folder {tmp_path / 'empty'} has no image files" in err
    code, _, err = run(capsys, "predict", str(tmp_path / "model.onnx.txt"), str(broken))
    assert code == 2 and single_error_line(err, "predict")
    assert f"{tmp_path / 'model.onnx.txt'} is not a lightnets checkpoint (.pth, .pt, .safetensors): its suffix is " \
           "'.txt'; exported models are given as --onnx FILE or --pte FILE" in err


def test_predict_on_an_exported_onnx_file_matches_the_checkpoint(capsys, exported):
    root, model, data = exported
    images = sorted((data / "val" / "light").iterdir())
    code, out, _ = run(capsys, "predict", "--onnx", str(root / "best.onnx"), str(data / "val" / "light"), "--json")
    results = json.loads(out)["results"]
    assert code == 0 and [r["image"] for r in results] == list(map(str, images))
    for r, expected in zip(results, probabilities(model, images)):
        got = torch.tensor([t["probability"] for t in sorted(r["top"], key=lambda t: t["index"])])
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
        assert {t["label"] for t in r["top"]} == set(CLASSES)


def test_each_evaluated_file_gets_its_own_confusion_png(capsys, exported):
    root, _, data = exported
    pngs = []
    for argv in ([str(root / "best.pth")], ["--onnx", str(root / "best.onnx")]):
        code, out, _ = run(capsys, "eval", *argv, "--data", str(data), "--json")
        assert code == 0
        pngs.append(json.loads(out)["confusion_png"])
    assert pngs == [str(root / "best.pth.confusion.png"), str(root / "best.onnx.confusion.png")]
    assert all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_confusion_png_is_checked_before_evaluating(capsys, tmp_path, tree, checkpoint):
    path, _ = checkpoint
    (tmp_path / "file").write_text("x")
    cases = [
        (tmp_path / "conf.txt", f"--confusion {tmp_path / 'conf.txt'} must end in .png"),
        (tmp_path / "file" / "conf.png", f"cannot write confusion-matrix PNG {tmp_path / 'file' / 'conf.png'}: "
                                          f"{tmp_path / 'file'} is a file, not a folder"),
    ]
    for png, message in cases:
        code, out, err = run(capsys, "eval", str(path), "--data", str(tree), "--confusion", str(png))
        assert code == 2 and out == "" and single_error_line(err, "eval") and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "file", "model.pth"]


def test_metrics_are_printed_when_the_png_cannot_be_written_after_all(capsys, monkeypatch, tree, checkpoint):
    import lightnets.training.confusion_plot as confusion_plot

    def disk_full(path, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(confusion_plot, "plot_confusion", disk_full)
    path, _ = checkpoint
    code, out, err = run(capsys, "eval", str(path), "--data", str(tree), "--json")
    assert code == 0 and json.loads(out)["images"] == 6 and json.loads(out)["confusion_png"] is None
    png = path.with_name("model.pth.confusion.png")
    assert f"lightnets eval: warning: could not write the confusion-matrix PNG {png}" in err
    assert "No space left on device" in err and not png.exists()


def test_eval_skip_corrupt_names_the_skipped_images(capsys, tree, checkpoint):
    path, _ = checkpoint
    broken = [tree / "val" / "dark" / f"broken{i}.png" for i in range(4)]
    for p in broken:
        p.write_bytes(b"broken")
    code, out, err = run(capsys, "eval", str(path), "--data", str(tree), "--json")
    assert code == 2 and single_error_line(err, "eval") and f"cannot read image {broken[0]}" in err
    assert "--skip-corrupt in `lightnets train` and `lightnets eval`" in err
    code, out, _ = run(capsys, "eval", str(path), "--data", str(tree), "--skip-corrupt", "--json")
    d = json.loads(out)
    assert code == 0 and d["images"] == 6 and d["skipped"] == 4 and d["skipped_paths"] == list(map(str, broken))
    code, out, _ = run(capsys, "eval", str(path), "--data", str(tree), "--skip-corrupt")
    assert code == 0 and f"skipped 4 unreadable image(s): {broken[0]}, {broken[1]}, {broken[2]} and 1 more" in out


def test_the_confusion_title_fits_inside_the_png(capsys, tree, checkpoint):
    from lightnets.training.confusion_plot import fit_title

    assert fit_title("on ImageFolder /srv/me/data/train + data/val", 80) == "on ImageFolder …/data/train + data/val"
    assert max(map(len, fit_title("x " * 60, 20).splitlines())) <= 20
    path, _ = checkpoint
    assert tree.is_absolute()  # the case that ran off both edges
    code, out, _ = run(capsys, "eval", str(path), "--data", str(tree), "--json")
    pixels = np.asarray(Image.open(json.loads(out)["confusion_png"]).convert("L"))
    assert code == 0 and (pixels[: pixels.shape[0] // 8] < 128).any()  # a title is drawn at the top
    assert (pixels[:, :2] == 255).all() and (pixels[:, -2:] == 255).all()  # and nothing touches the sides


def test_json_has_the_same_keys_for_a_checkpoint_and_an_export(capsys, exported):
    root, _, data = exported
    export = json.loads((root / "export.out").read_text())  # the whole of stdout: one document
    assert set(export) == EXPORT_KEYS and "lightnets export: " in (root / "export.err").read_text()
    assert (export["source"], export["out"], export["format"], export["int8"], export["dynamic_hw"]) == (
        str(root / "best.pth"), str(root / "best.onnx"), "onnx", False, False)
    assert export["size_bytes"] == (root / "best.onnx").stat().st_size
    assert export["int8_check"] is export["calibration_images"] is export["max_batch"] is None
    image = str(data / "val" / "dark" / "0.png")
    for model, kind in (([str(root / "best.pth")], "checkpoint"), (["--onnx", str(root / "best.onnx")], "onnx")):
        code, out, _ = run(capsys, "eval", *model, "--data", str(data), "--json")
        d = json.loads(out)
        assert code == 0 and set(d) == EVAL_KEYS and (d["source"], d["kind"]) == (model[-1], kind)
        assert d["top5"] is None and d["skipped_paths"] == []  # 2 classes: no top-5; nothing skipped
        code, out, _ = run(capsys, "predict", *model, image, "--json")
        d = json.loads(out)
        assert code == 0 and set(d) == PREDICT_KEYS
        assert (d["source"], d["kind"], d["classified"]) == (model[-1], kind, 1)
        assert [set(r) for r in d["results"]] == [{"image", "top", "error"}] and d["results"][0]["error"] is None


def test_each_model_option_takes_its_own_file_type(capsys, tmp_path, tree, checkpoint):
    path, _ = checkpoint
    onnx, pte, image = tmp_path / "m.onnx", tmp_path / "m.pte", str(tree / "val" / "dark" / "0.png")
    data = ["--data", str(tree)]
    cases = [
        (["eval", "--onnx", str(path), *data], f"--onnx {path} is not an ONNX model (.onnx): its suffix is '.pth'; "
                                               f"give a lightnets checkpoint as {path}, without --onnx"),
        (["eval", "--pte", str(onnx), *data], f"--pte {onnx} is not an ExecuTorch program (.pte): its suffix is "
                                              f"'.onnx'; give an ONNX model as --onnx {onnx}"),
        (["eval", str(pte), *data], f"{pte} is not a lightnets checkpoint (.pth, .pt, .safetensors): its suffix is "
                                    f"'.pte'; give an ExecuTorch program as --pte {pte}"),
        (["eval", str(path), "--onnx", str(onnx), *data], "give one model: a CHECKPOINT, --onnx FILE or --pte FILE, "
                                                          f"not CHECKPOINT {path} and --onnx {onnx}"),
        (["predict", "--pte", str(path), image], f"--pte {path} is not an ExecuTorch program (.pte): its suffix is "
                                                 f"'.pth'; give a lightnets checkpoint as {path}, without --pte"),
        (["predict", str(onnx), image], f"{onnx} is not a lightnets checkpoint (.pth, .pt, .safetensors): its suffix "
                                        f"is '.onnx'; give an ONNX model as --onnx {onnx}"),
        (["predict", str(path)], f"give the images to classify after {path}"),
    ]
    for argv, message in cases:
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and err == f"lightnets {argv[0]}: error: {message}\n", (argv, err)
