"""Network in Network, the CIFAR-10 model (Lin et al. 2013; the authors' released layer
definition): three mlpconv layers, global average pooling over class maps, no FC layer."""

import pytest
import torch
from torch import nn

from lightnets import create_model, profile
from lightnets.layers import MlpConv

# (k, widths) of the authors' model and each conv's weights + biases: in x k x k x out + out
LAYERS = [(5, (192, 160, 96)), (5, (192, 192, 192)), (3, (192, 192, 10))]
PARAMS = [3 * 25 * 192 + 192, 192 * 160 + 160, 160 * 96 + 96,
          96 * 25 * 192 + 192, 192 * 192 + 192, 192 * 192 + 192,
          192 * 9 * 192 + 192, 192 * 192 + 192, 192 * 10 + 10]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return create_model("nin").eval()


def test_layers_and_parameters(model):
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [m.kernel_size[0] for m in convs] == [5, 1, 1, 5, 1, 1, 3, 1, 1]
    assert [m.out_channels for m in convs] == [c for _, widths in LAYERS for c in widths]
    assert [sum(p.numel() for p in m.parameters()) for m in convs] == PARAMS
    assert sum(p.numel() for p in model.parameters()) == sum(PARAMS) == 966_986
    assert not any(isinstance(m, nn.Linear) for m in model.modules())  # global average pooling, no FC
    assert model.head.fc is convs[-1]  # the class maps are the classifier
    assert sum(isinstance(m, MlpConv) for m in model.modules()) == 3


def test_maps_pools_and_logits_at_32(model):
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        maps = [x := stage(x) for stage in model.stages]
        assert [tuple(m.shape[1:]) for m in maps] == [(96, 16, 16), (192, 8, 8), (192, 8, 8)]  # ceil-mode pools
        logits = model(torch.randn(2, 3, 32, 32))
        assert logits.shape == (2, 10) and (logits >= 0).all()  # ReLU'd class maps, averaged
        class_maps = model.head.act(model.head.fc(maps[-1]))
        assert torch.allclose(model.forward_head(maps[-1]), class_maps.mean((2, 3)), atol=1e-6)
    pools = [type(m) for m in model.modules() if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))]
    assert pools == [nn.MaxPool2d, nn.AvgPool2d]
    assert [m.p for m in model.stages.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]  # between mlpconvs
    macs = [32 * 32 * 3 * 25 * 192, 32 * 32 * 192 * 160, 32 * 32 * 160 * 96, 16 * 16 * 96 * 25 * 192,
            16 * 16 * 192 * 192 * 2, 8 * 8 * 192 * 9 * 192, 8 * 8 * 192 * 192, 8 * 8 * 192 * 10]
    assert profile(model, 32).macs == sum(macs) == 222_486_528


def test_reset_classifier_makes_new_class_maps(model):
    fresh = create_model("nin", num_classes=100).eval()
    assert fresh.head.fc.weight.shape == (100, 192, 1, 1)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert fresh(x).shape == (1, 100)
        assert fresh.forward_head(fresh.forward_features(x), pre_logits=True).shape == (1, 192)
    assert model.default_cfg["input_size"] == (3, 32, 32) and model.default_cfg["crop_pct"] == 1.0


def test_width_thins_all_but_the_class_maps():
    thin = create_model("nin", width=0.5)
    assert [m.out_channels for m in thin.modules() if isinstance(m, nn.Conv2d)] == [96, 80, 48, 96, 96, 96, 96, 96, 10]
    with pytest.raises(ValueError, match="an mlpconv layer needs at least its k x k conv"):
        MlpConv(3, (), 3)
