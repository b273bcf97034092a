import pytest
import torch

from lightnets import create_model, profile
from lightnets.layers import Fire
from lightnets.models.squeezenet import squeezenet


def _counts(name, **kwargs):
    with torch.device("meta"):
        report = profile(create_model(name, **kwargs), 224)
    return report.params, report.macs


def test_table_1_and_v1_1_counts_are_torchvisions():
    # torchvision's num_params and _ops: 1,248,424 / 0.819 GMACs and 1,235,496 / 0.349
    assert _counts("squeezenet1_0") == (1_248_424, 818_924_576)
    assert _counts("squeezenet1_1") == (1_235_496, 349_151_936)
    # the README's 1.72 / 0.72 GFLOPS are 2x MACs at an unstated input: 1.638 / 0.698 G at 224
    assert 2 * _counts("squeezenet1_0")[1] / 1e9 == pytest.approx(1.638, abs=1e-3)


def test_bypasses_are_section_6s():
    model = create_model("squeezenet1_0", bypass="complex")
    fires = [b for s in model.stages for b in s if isinstance(b, Fire)]
    assert [f.has_shortcut for f in fires] == [True] * 8
    assert [f.shortcut is not None for f in fires] == [True, False] * 4
    simple = create_model("squeezenet1_0", bypass="simple")
    assert [b.has_shortcut for s in simple.stages for b in s if isinstance(b, Fire)] == [False, True] * 4
    # simple adds no parameter; complex adds the four 1x1 convs (Fig. 2)
    assert _counts("squeezenet1_0", bypass="simple")[0] == 1_248_424
    assert _counts("squeezenet1_0", bypass="complex")[0] == 1_589_672
    assert create_model("squeezenet1_1", bypass="complex", width=0.25)(torch.randn(1, 3, 32, 32)).shape == (1, 1000)


def test_bad_options_are_refused_naming_the_valid_ones():
    with pytest.raises(ValueError, match="'skip'.*none, simple, complex"):
        create_model("squeezenet1_0", bypass="skip")
    with pytest.raises(ValueError, match="'1_2'.*1_0, 1_1"):
        squeezenet(version="1_2")
    with pytest.raises(ValueError, match="identity shortcut"):
        Fire(96, 16, 64, 64, shortcut="identity")


def test_the_smallest_input_is_the_unpadded_stems():
    assert create_model("squeezenet1_0").min_input == 21 and create_model("squeezenet1_1").min_input == 17
    create_model("squeezenet1_1", width=0.25).eval()(torch.randn(1, 3, 17, 17))


def test_an_epoch_on_the_tiny_problem_trains_with_the_engine(tmp_path):
    from training.tiny_training import brightness_splits, preprocessing

    from lightnets.training import TrainConfig, train

    torch.manual_seed(0)
    model = create_model("squeezenet1_1", width=0.25, num_classes=2, drop_rate=0.0, bypass="complex")
    config = TrainConfig(out_dir=tmp_path / "run", recipe="mobilenet", epochs=1, batch_size=16, lr=0.01,
                         threads=1, progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config)
    assert len(result.history) == 1 and torch.isfinite(torch.tensor(result.history[0]["train_loss"]))
