import pytest
import timm
import torch

from lightnets import create_model, profile
from lightnets.layers import DepthwiseSeparableConv, XceptionModule


def test_figure_5_counts_the_papers_parameters_and_timms_macs():
    with torch.device("meta"):
        report = profile(create_model("xception"), 299)
    # Table 3: 22,855,952 parameters, the Keras release's trainable ones (BN running statistics are buffers)
    assert report.params == 22_855_952
    # timm lists legacy_xception at 8.4 GMACs at 299x299 (the paper prints no count)
    assert report.macs == 8_357_403_496 and round(report.macs / 1e9, 1) == 8.4
    with torch.device("meta"):
        assert report.params == sum(p.numel() for p in timm.create_model("legacy_xception").parameters())


def test_the_flows_have_figure_5s_modules_and_resolutions():
    with torch.device("meta"):
        model = create_model("xception")
    modules = [b for s in model.stages for b in s if isinstance(b, XceptionModule)]
    assert len(modules) == 12  # entry 3, middle 8, exit 1
    assert [m.shortcut is None for m in modules] == [False] * 3 + [True] * 8 + [False]
    assert [f["reduction"] for f in model.feature_info] == [4, 8, 16, 32]
    assert [f["num_chs"] for f in model.feature_info] == [128, 256, 728, 2048]
    assert not hasattr(modules[0].body, "act0") and hasattr(modules[1].body, "act0")  # the stem's ReLU precedes it
    x = torch.randn(1, 3, 299, 299, device="meta")
    assert model.eval().forward_features(x).shape == (1, 2048, 10, 10)


def test_the_separable_conv_has_no_nonlinearity_between_depthwise_and_pointwise():
    conv = DepthwiseSeparableConv(8, 16, act=None, dw_norm_act=False)
    assert not hasattr(conv.dw, "bn") and conv.dw.conv.bias is None and isinstance(conv.dw.act, torch.nn.Identity)
    assert hasattr(conv.pw, "bn") and isinstance(conv.pw.act, torch.nn.Identity)
    with pytest.raises(ValueError, match="stride must be 1 or 2"):
        XceptionModule(8, (8,), stride=3)


def test_an_epoch_on_the_tiny_problem_trains_with_the_engine(tmp_path):
    from training.tiny_training import brightness_splits, preprocessing

    from lightnets.training import TrainConfig, train

    torch.manual_seed(0)
    model = create_model("xception", width=0.125, num_classes=2, small_input=True)
    config = TrainConfig(out_dir=tmp_path / "run", recipe="mobilenet", epochs=1, batch_size=16, lr=0.01,
                         threads=1, progress=False, device="cpu")
    result = train(model, brightness_splits(64, 32), preprocessing(), config)
    assert len(result.history) == 1 and torch.isfinite(torch.tensor(result.history[0]["train_loss"]))
