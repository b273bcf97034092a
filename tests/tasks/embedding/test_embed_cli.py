"""`lightnets embed` on tiny images made here: the embeddings it writes are the model's, and
on pairs whose same pairs are one image twice, every metric is exact whatever the weights."""

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from lightnets import create_model
from lightnets.checkpoint import save_model
from lightnets.cli import main


@pytest.fixture
def faces(tmp_path):
    """Three 112x112 RGB images of fixed random pixels, and a pairs file: each of a and b with itself (same), a with b
    and a with c (different)."""
    rng = np.random.default_rng(0)
    for name in "abc":
        Image.fromarray(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    (tmp_path / "pairs.txt").write_text("a.png a.png 1\nb.png b.png 1\na.png b.png 0\na.png c.png 0\n")
    return tmp_path


def by_hand(model, folder, names) -> torch.Tensor:
    """The model's pre-logits output on the images scaled to [-1, 1] (default_cfg: mean = std = 0.5, 112 whole)."""
    x = torch.stack([torch.from_numpy(np.array(Image.open(folder / f"{n}.png"))).permute(2, 0, 1).float() / 255
                     for n in names])
    with torch.no_grad():
        return model.forward_head(model.forward_features((x - 0.5) / 0.5), pre_logits=True)


def test_a_checkpoints_embeddings_are_written_and_the_pairs_scored(faces, capsys):
    torch.manual_seed(0)
    model = create_model("mobilefacenet", width=0.25, embedding_dim=16).eval()
    save_model(model, faces / "face.safetensors")
    out = faces / "emb.npz"
    code = main(["embed", str(faces / "face.safetensors"), str(faces / "c.png"), "--pairs", str(faces / "pairs.txt"),
                 "--out", str(out), "--far", "0.5", "1e-3", "--folds", "1", "--json"])
    captured = capsys.readouterr()
    assert code == 0 and "RANDOM WEIGHTS" not in captured.err
    report = json.loads(captured.out)
    assert report["random_weights"] is False and report["images"] == 3 and report["embedding_dim"] == 16
    saved = np.load(out)
    assert [p.rsplit("/", 1)[-1] for p in saved["paths"]] == ["c.png", "a.png", "b.png"]  # given first, then pairs'
    torch.testing.assert_close(torch.from_numpy(saved["embeddings"]), by_hand(model, faces, "cab"), rtol=1e-4,
                               atol=1e-5)
    v = report["verification"]
    assert (v["pairs"], v["same"], v["different"]) == (4, 2, 2)
    # the same pairs score cos = 1, above both different pairs: every metric is perfect
    assert v["auc"] == 1.0 and v["accuracy"] == 1.0 and v["accuracy_std"] == 0.0
    assert v["tar_at_far"][0] == {"far": 0.5, "tar": 1.0, "threshold": pytest.approx(1.0), "why_not": None}
    assert v["tar_at_far"][1] == {"far": 1e-3, "tar": None, "threshold": None,
                                  "why_not": "needs at least 1000 different pairs, got 2"}
    assert not [p for p in faces.iterdir() if p.name.startswith(".")]  # the atomic writer left no temporary file


def test_a_model_name_builds_random_weights_and_says_so(faces, capsys):
    assert main(["embed", "mobilefacenet", str(faces / "a.png"), str(faces / "b.png")]) == 0
    captured = capsys.readouterr()
    assert "mobilefacenet has RANDOM WEIGHTS" in captured.err
    assert "2 image(s) -> 128-d embeddings from mobilefacenet" in captured.out


@pytest.mark.parametrize("argv, message", [
    (["mobilefacenet", "--pairs", "{f}/bad.txt"], r"bad.txt, line 2: image not found: d.png"),
    (["mobilefacenet", "--pairs", "{f}/label.txt"], r"label.txt, line 1: the label must be 1 .*got '2'"),
    (["mobilefacenet"], "give the images to embed after mobilefacenet, or a pairs file with --pairs"),
    (["mobilefacenett", "{f}/a.png"], "unknown model 'mobilefacenett'; did you mean mobilefacenet"),
    (["{f}/none.pth", "{f}/a.png"], "checkpoint not found: .*none.pth"),
    (["mobilefacenet", "{f}/a.png", "--out", "{f}/e.txt"], r"--out .*e.txt must be an .npz file"),
    (["mobilefacenet", "{f}/a.png", "--far", "0"], r"--far must be in \(0, 1\], got 0"),
    (["mobilefacenet", "--pairs", "{f}/pairs.txt", "--folds", "5"],
     r"--folds 5 is more than the 4 pairs in .*pairs.txt"),
])
def test_mistakes_are_one_line_errors(faces, capsys, argv, message):
    (faces / "bad.txt").write_text("a.png b.png 1\na.png d.png 0\n")
    (faces / "label.txt").write_text("a.png b.png 2\n")
    assert main(["embed", *(a.format(f=faces) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lightnets embed: error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
