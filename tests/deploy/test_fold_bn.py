import pytest
import torch
import torchvision.models as tvm
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from zoo_models import REPRESENTATIVES, build

from lightnets import profile
from lightnets.deploy import fold_bn

# Every BN of these networks follows a conv whose output nothing else reads, so all fold:
# MobileNetV1: stem + 13 depthwise-separable blocks x 2; MobileNetV2: stem, the t=1 block's 2,
# 16 inverted residuals x 3, the last 1x1 conv; MobileNetV3-Large: stem, the first bneck's 2
# (no expansion conv), 14 bnecks x 3, the last conv (the minimal variants have the same
# layers); MobileNetV3-Small likewise with 10 bnecks after the first; ResNet-18: stem, 8
# basic blocks x 2, 3 downsample projections; GoogLeNet: 3 stem convs, 9 inception modules x 6
# convs (aux heads off); MnasNet: 3 in the stem and separable conv, 16 inverted residuals x 3,
# the last conv; ShuffleNetV2: stem, 3 downsampling units x 5, 13 units x 3, conv5 (lightnets'
# shufflenet_v2_x0_5 has the same layers); ShuffleNet V1 (g=1): stem, 16 units x 3 (the stride-2
# units' average-pool shortcuts have no BN).
# DenseNet-121: norm0 and each dense layer's norm2 (after its 1x1 conv) fold: 1 + (6 + 12 + 24
# + 16) = 59; each dense layer's norm1, each transition's norm and norm5 are pre-activation BNs
# on a concatenation and stay: 58 + 3 + 1 = 62; lightnets' densenet121 has the same layers in
# the same order. DPN-68: the stem's and each of the 22 dual path blocks' two BNs after a conv
# fold, 1 + 2 x 22 = 45; each block's first BN (and each stage's projection BN) normalises the
# concatenated paths (the first block's the max pool's output) and stays, as does the final
# BN: 22 + 4 + 1 = 27. Res2NeXt-50: the stem, each of the 16 blocks' 1x1 conv, 3 split convs and last 1x1 conv, and
# the 4 projections: 1 + 16 x 5 + 4 = 85. Xception: the stem's 2, each module's separable convs' BN (after the pointwise
# conv; the depthwise conv has none) and projection: 3 + 3 + 3 + 8 x 3 + 3, the exit flow's 2 separable convs: 40.
# SK-ResNet-18: the stem, each of the 8 blocks' two selective-kernel branches,
# its squeeze (a 1x1 conv on the pooled sum) and second conv, the 3 projections: 1 + 8 x 4 + 3 = 36. GE-ResNet-50
# (GE-θ⁻: no parameters) and GC-ResNet-50 (LayerNorm, not BN): ResNet-50's 1 + 16 x 3 + 4 = 53. SE-ResNet-18 (its SE
# layers have no BN): ResNet-18's 1 + 8 x 2 + 3 = 20.
# LeNet-5, AlexNet, VGG without BN and NIN have no BN. MobileFaceNet: the stem's 2, 15 bottlenecks x 3, the 1x1 conv and
# the GDConv: 49; the embedding's BN follows a linear layer, not a conv, and stays.
COUNTS = {
    "mobilenet_v1": (27, 0),
    "mobilenet_v2": (52, 0),
    "mobilenet_v3_large": (46, 0),
    "mobilenet_v3_large_minimal": (46, 0),
    "mobilenet_v3_small": (34, 0),
    "mobilenet_v3_small_minimal": (34, 0),
    "densenet121": (59, 62),
    "dpn68": (45, 27),
    "googlenet": (57, 0),
    "inception_v3": (94, 0),
    "inception_v4": (149, 0),
    "inception_resnet_v2": (204, 0),
    "bn_inception": (69, 0),
    "lenet5": (0, 0),
    "alexnet_towers": (0, 0),
    "vgg11": (0, 0),
    "nin": (0, 0),
    "squeezenet1_1": (0, 0),
    "xception": (40, 0),
    "resnet18": (20, 0),
    "res2next50": (85, 0),
    "skresnet18": (36, 0),
    "ge_resnet50": (53, 0),
    "gc_resnet50": (53, 0),
    "legacy_seresnet18": (20, 0),
    "shufflenet_v1_g1": (49, 0),
    "shufflenet_v2_x0_5": (56, 0),
    "mnasnet_small": (46, 0),
    "efficientnet_lite0": (49, 0),
    "mixnet_s": (49, 0),  # 34 of them after a MixConv's concatenation, folded slice by slice
    "nasnet_a_mobile": (192, 0),  # 4 after a factorized reduction's two convs, concatenated
    "mobilefacenet": (49, 1),
    "torchvision.resnet18": (20, 0),
    "torchvision.densenet121": (59, 62),
    "torchvision.googlenet": (57, 0),
    "torchvision.mnasnet0_5": (52, 0),
    "torchvision.shufflenet_v2_x0_5": (56, 0),
}
TORCHVISION = {
    "torchvision.resnet18": lambda: tvm.resnet18(weights=None),
    "torchvision.densenet121": lambda: tvm.densenet121(weights=None),
    "torchvision.googlenet": lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=True),
    "torchvision.mnasnet0_5": lambda: tvm.mnasnet0_5(weights=None),
    "torchvision.shufflenet_v2_x0_5": lambda: tvm.shufflenet_v2_x0_5(weights=None),
}


def random_statistics(model: nn.Module, in_shape: tuple[int, ...]) -> nn.Module:
    """Every BN's affine terms drawn away from the identity and its running statistics
    those of a random batch (as after training: drawn at random, they would saturate a
    deep network into outputs that no longer follow its input), so a BN that is dropped or
    folded wrongly changes the output far above the tolerance."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) - 0.5)
            m.reset_running_stats()
            m.momentum = None  # a cumulative average: the statistics of this one batch
    with torch.no_grad():
        model.train()(torch.randn(in_shape, generator=g))
    return model


def assert_same_outputs(model: nn.Module, folded: nn.Module, x: torch.Tensor) -> None:
    with torch.no_grad():
        expected, got = model.eval()(x), folded(x)
    scale = expected.abs().max()
    assert (expected[0] - expected[1]).abs().max() > 0.01 * scale  # outputs follow the input far above tolerance
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("name", REPRESENTATIVES + list(TORCHVISION))
def test_folded_model_matches_in_eval_mode(name):
    model = TORCHVISION[name]() if name in TORCHVISION else build(name, num_classes=10)
    # 64x64, or the network's own input where that is smaller (LeNet-5's 32x32: at 64 its head
    # averages S4's maps down to 5x5 and two random images give almost the same logits), never
    # below its smallest input
    design = getattr(model, "default_cfg", {}).get("input_size", (3, 64, 64))[-1]
    size, chans = max(min(64, design), getattr(model, "min_input", 0)), getattr(model, "in_chans", 3)
    # In float64: float32's own rounding over these 20-120 layers already moves the unfolded
    # network's outputs by up to ~2e-5 of their scale from the exact ones, above the tolerance.
    random_statistics(model, (8, chans, size, size)).double()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    folded, report = fold_bn(model)

    assert (len(report.folded), len(report.stayed)) == COUNTS[name]
    assert sorted(n for n, m in folded.named_modules() if isinstance(m, _BatchNorm)) == sorted(report.stayed)
    assert type(folded) is type(model) and not folded.training
    assert model.training and model.state_dict().keys() == before.keys()  # the input is untouched
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert_same_outputs(model, folded, torch.randn(2, chans, size, size, dtype=torch.float64))
    assert profile(folded, size).macs == profile(model, size).macs  # folding moves no MACs


def test_densenet_keeps_the_bns_on_concatenations():
    _, report = fold_bn(tvm.DenseNet(growth_rate=8, block_config=(1, 2), num_init_features=8))
    layers = ("denseblock1.denselayer1", "denseblock2.denselayer1", "denseblock2.denselayer2")
    assert report.folded == {"features.norm0": "features.conv0"} | {
        f"features.{layer}.norm2": f"features.{layer}.conv1" for layer in layers}
    assert sorted(report.stayed) == sorted(
        [f"features.{layer}.norm1" for layer in layers] + ["features.transition1.norm", "features.norm5"])
    # each concatenation holds a pooled map besides the conv outputs
    assert all(reason.startswith("a part of the concatenation before it cannot take it: its input comes from module "
                                 "features.") and reason.endswith("pool, not from a convolution") or
               reason.endswith("pool0, not from a convolution") for reason in report.stayed.values())


class Branches(nn.Module):
    """A conv with a bias, a grouped and a depthwise conv, each followed by its own BN."""

    def __init__(self):
        super().__init__()
        self.biased, self.bn1 = nn.Conv2d(3, 8, 3, bias=True), nn.BatchNorm2d(8)
        self.grouped, self.bn2 = nn.Conv2d(8, 12, 3, groups=4), nn.BatchNorm2d(12)
        self.depthwise, self.bn3 = nn.Conv2d(12, 12, 3, groups=12, bias=True), nn.BatchNorm2d(12)

    def forward(self, x):
        x = torch.relu(self.bn1(self.biased(x)))
        return self.bn3(self.depthwise(self.bn2(self.grouped(x))))


def test_biased_grouped_and_depthwise_convs_fold():
    model = Branches()
    nn.init.uniform_(model.biased.bias, 1, 2)
    random_statistics(model, (8, 3, 16, 16))
    folded, report = fold_bn(model)
    assert report.folded == {"bn1": "biased", "bn2": "grouped", "bn3": "depthwise"} and report.stayed == {}
    assert_same_outputs(model, folded, torch.randn(2, 3, 16, 16))


class Unfoldable(nn.Module):
    """BNs that folding would get wrong: one after a conv whose output is also added back,
    one called twice, one that normalises with batch statistics even in eval mode."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.shared = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv3, self.bn3 = nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8, track_running_stats=False)

    def forward(self, x):
        y = self.conv1(x)
        x = self.bn1(y) + y
        x = self.shared(self.shared(self.conv2(x)))
        return self.bn3(self.conv3(x))


def test_bns_whose_fold_would_change_the_output_stay():
    model = random_statistics(Unfoldable(), (8, 3, 16, 16))
    folded, report = fold_bn(model)
    assert report.folded == {}
    assert report.stayed == {
        "bn1": "the output of its conv conv1 is also used by add",
        "shared": "the traced forward calls it 2 times",
        "bn3": "it has no running statistics (track_running_stats=False), so eval mode uses batch statistics",
    }
    assert_same_outputs(model, folded, torch.randn(2, 3, 16, 16))


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x if x.sum() > 0 else -x))


def test_an_untraceable_model_is_refused_by_name():
    with pytest.raises(ValueError, match="torch.fx can trace, and tracing DataDependent failed"):
        fold_bn(DataDependent())


def test_a_model_that_is_no_module_is_refused():
    with pytest.raises(ValueError, match="fold_bn takes a model .a torch.nn.Module., got a str"):
        fold_bn("mobilenet_v2")
