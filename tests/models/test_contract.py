"""The model contract on small hand-built networks (tiny tables at 32x32): every head, aux
heads, conv blocks with and without norm, pre-activation, tanh, per-family init and
default_cfg, features_only. References are torchvision's modules with the same weights,
the published LeNet-5 parameter counts, and exact identities (a uniform GDC kernel is
global average pooling)."""

import importlib
import json
from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from lightnets.layers import ConvNormAct
from lightnets.models import (
    AuxHead, AuxOutput, ClassifierHead, ConvClassifierHead, FCStackHead, FeatureNet, GDCHead, LightNet, StageStack,
    first_stride, model_builder,
)

tv_inception = importlib.import_module("torchvision.models.inception")
tv_googlenet = importlib.import_module("torchvision.models.googlenet")
tv_densenet = importlib.import_module("torchvision.models.densenet")


@dataclass(frozen=True)
class Stage:
    c: int
    n: int
    s: int


TABLE = (Stage(c=8, n=1, s=1), Stage(c=16, n=2, s=2), Stage(c=32, n=1, s=2))  # 32x32 -> 16, 16, 8, 4
CIFAR = dict(input_size=32, mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616), crop_pct=1.0)
HEADS = {
    "pool_fc": lambda c, n: ClassifierHead(c, n, hidden=24, act="tanh", drop_rate=0.2),
    "fc_stack": lambda c, n: FCStackHead(c, n, map_size=2, hidden=(24, 12), drop_rate=0.5),
    "conv": lambda c, n: ConvClassifierHead(c, n),
    "gdc": lambda c, n: GDCHead(c, n, map_size=4, embed_dim=16),
}


@model_builder
def tiny(*, num_classes: int = 10, in_chans: int = 3, head: str = "pool_fc", aux_logits: bool = False,
         pre_act: bool = False, norm: bool = True, init: str = "kaiming_fan_out") -> LightNet:
    """A family in the contract's terms: a table, a stem, a StageStack and a shared head."""
    stem = ConvNormAct(in_chans, 8, 3, stride=2, norm=norm)
    body = StageStack(8, stride=2)
    for spec in TABLE:
        for s in first_stride(spec.n, spec.s):
            body.add(ConvNormAct(body.chs, spec.c, 3, s, pre_act=pre_act, norm=norm), spec.c, s)
        body.end_stage()
    aux = None
    if aux_logits:
        aux = {1: AuxHead(FCStackHead(8, num_classes, map_size=2, hidden=(16,), drop_rate=0.7),
                          [ConvNormAct(16, 8, 1)], pool_kernel=3, pool_stride=2)}
    return LightNet(stem, body, HEADS[head](body.chs, num_classes), in_chans=in_chans, aux_heads=aux, init=init,
                    default_cfg=CIFAR)


def randomise_bn(module: nn.Module) -> nn.Module:
    """Random BN affine parameters and running statistics, so a misplaced BN shows in the outputs."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return module


def no_dropout(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return model


X = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))


# ---- heads -------------------------------------------------------------------------------

@pytest.mark.parametrize("head", sorted(HEADS))
def test_every_head_keeps_the_contract(head):
    model = tiny(head=head).eval()
    feats = model.forward_features(X)
    assert feats.shape == (2, 32, 4, 4)
    assert model(X).shape == (2, 10)
    assert model.forward_head(feats, pre_logits=True).shape == (2, model.num_features)
    assert model.get_classifier() is model.head.fc
    model.reset_classifier(5)
    assert model(X).shape == (2, 5) and model.num_classes == 5 and model.config["num_classes"] == 5
    model.reset_classifier(0)
    assert isinstance(model.head.fc, nn.Identity)
    assert torch.equal(model(X), model.forward_head(feats, pre_logits=True))  # no classifier: the features
    with pytest.raises(ValueError, match="num_classes must be an integer >= 0, got -1"):
        model.reset_classifier(-1)


def test_fc_stack_is_linear_act_dropout_repeated_then_linear():
    head = FCStackHead(16, 10, map_size=5, hidden=(120, 84), act="tanh", drop_rate=0.5)
    layers = [type(m) for m in head.hidden.modules() if not isinstance(m, nn.Sequential)]
    assert layers == [nn.Linear, nn.Tanh, nn.Dropout] * 2
    # LeNet-5 (LeCun et al. 1998, Section II-B): "C5 ... has 48,120 trainable connections",
    # "F6 ... has 10,164 trainable parameters" (C5 is a 5x5 conv on a 5x5 map: a FC layer)
    assert [sum(p.numel() for p in block.parameters()) for block in head.hidden] == [48120, 10164]
    x = torch.randn(3, 16, 5, 5)
    head.eval()
    by_hand = x.flatten(1)
    for block in head.hidden:
        by_hand = torch.tanh(F.linear(by_hand, block.fc.weight, block.fc.bias))
    assert torch.allclose(head(x), F.linear(by_hand, head.fc.weight, head.fc.bias), atol=1e-6)
    head.train()
    assert not torch.equal(head(x), head(x)), "dropout acts in training"
    # another map size is pooled to the 5x5 the flattened width was built for
    assert head.eval()(torch.randn(3, 16, 10, 10)).shape == (3, 10)


def test_conv_classifier_matches_torchvision_squeezenet():
    reference = torchvision.models.squeezenet1_1(weights=None, num_classes=10).eval()
    head = ConvClassifierHead(512, 10).eval()
    assert isinstance(head.fc, nn.Conv2d) and head.fc.bias is not None
    head.fc.load_state_dict(reference.classifier[1].state_dict())
    x = torch.randn(2, 512, 13, 13)
    assert torch.allclose(head(x), torch.flatten(reference.classifier(x), 1), atol=1e-6)
    assert torch.equal(head(x, pre_logits=True), x.mean((2, 3)))


def test_gdc_kernel_covers_the_map_and_a_uniform_one_is_global_average_pooling():
    head = GDCHead(32, 10, map_size=7, embed_dim=16).eval()
    conv = head.gdc.conv
    assert conv.kernel_size == (7, 7) and conv.groups == 32 and conv.padding == (0, 0) and conv.bias is None
    assert head.embed.bias is None and head.num_features == 16
    nn.init.constant_(conv.weight, 1 / 49)
    head.gdc.bn.running_var.fill_(1 - head.gdc.bn.eps)  # BN the identity
    x = torch.randn(2, 32, 7, 7)
    assert torch.allclose(head.gdc(x).flatten(1), x.mean((2, 3)), atol=1e-6)
    embedding = F.batch_norm(F.linear(x.mean((2, 3)), head.embed.weight), head.bn.running_mean,
                             head.bn.running_var, head.bn.weight, head.bn.bias, eps=head.bn.eps)
    assert torch.allclose(head(x, pre_logits=True), embedding, atol=1e-6)
    with pytest.raises(ValueError, match=r"GDC head's depthwise kernel covers the 7x7 final map .* got a 4x4 map"):
        head(torch.randn(2, 32, 4, 4))


# ---- auxiliary heads ---------------------------------------------------------------------

def test_aux_heads_exist_only_when_asked_and_only_add_to_the_training_output():
    plain = tiny()
    assert plain.aux_heads is None and not any(k.startswith("aux_heads") for k in plain.state_dict())
    assert isinstance(plain.train()(X), torch.Tensor)
    model = no_dropout(tiny(aux_logits=True))
    aux_keys = [k for k in model.state_dict() if k.startswith("aux_heads.0.")]
    assert "aux_heads.0.convs.0.conv.weight" in aux_keys and "aux_heads.0.classifier.fc.weight" in aux_keys
    out = model.train()(X)
    assert isinstance(out, AuxOutput)
    logits, aux_logits = out  # unpacks as (logits, [aux logits])
    assert torch.equal(logits, model.forward_head(model.forward_features(X)))
    stage_1 = model.stages[:2](model.stem(X))
    assert len(aux_logits) == 1 and torch.equal(aux_logits[0], model.aux_heads[0](stage_1))
    model.eval()
    assert isinstance(model(X), torch.Tensor)
    # the main path is the plain network's: its weights load strictly without the aux keys
    main = {k: v for k, v in model.state_dict().items() if k not in aux_keys}
    plain.load_state_dict(main)
    assert torch.equal(plain.eval()(X), model(X))
    model.reset_classifier(4)
    assert model.train()(X).aux_logits[0].shape == (2, 4)
    traced = torch.fx.symbolic_trace(model)
    assert torch.equal(traced(X).aux_logits[0], model(X).aux_logits[0])


def test_aux_heads_must_sit_on_a_stage_and_share_the_classes():
    stem, body = ConvNormAct(3, 8, stride=2), StageStack(8, stride=2)
    body.add(ConvNormAct(8, 8), 8)
    body.end_stage()
    aux = AuxHead(ClassifierHead(8, 10))
    with pytest.raises(ValueError, match=r"aux heads sit on stages \[1\], but the network has stages 0..0"):
        LightNet(stem, body, ClassifierHead(8, 10), in_chans=3, init="pytorch", aux_heads={1: aux})
    with pytest.raises(ValueError, match=r"aux heads must classify into the head's 5 classes, got \[10\]"):
        LightNet(stem, body, ClassifierHead(8, 5), in_chans=3, init="pytorch", aux_heads={0: aux})


def test_aux_head_matches_torchvision_inception_v3_aux():
    reference = randomise_bn(tv_inception.InceptionAux(16, 10)).eval()
    ours = AuxHead(ClassifierHead(768, 10), [ConvNormAct(16, 128, 1, bn_eps=1e-3),
                                             ConvNormAct(128, 768, 5, bn_eps=1e-3, padding=0)]).eval()
    names = {"conv0.": "convs.0.", "conv1.": "convs.1.", "fc.": "classifier.fc."}
    ours.load_state_dict({next(names[p] + k[len(p):] for p in names if k.startswith(p)): v
                          for k, v in reference.state_dict().items()})
    x = torch.randn(2, 16, 17, 17)  # Inception v3's aux input is 17x17
    assert torch.allclose(ours(x), reference(x), atol=1e-5)


def test_aux_head_matches_torchvision_googlenet_aux():
    reference = randomise_bn(tv_googlenet.InceptionAux(32, 10)).eval()
    ours = AuxHead(FCStackHead(128, 10, map_size=4, hidden=(1024,), drop_rate=0.7),
                   [ConvNormAct(32, 128, 1, bn_eps=1e-3)], pool_kernel=4, pool_stride=4).eval()
    names = {"conv.": "convs.0.", "fc1.": "classifier.hidden.0.fc.", "fc2.": "classifier.fc."}
    ours.load_state_dict({next(names[p] + k[len(p):] for p in names if k.startswith(p)): v
                          for k, v in reference.state_dict().items()})
    x = torch.randn(2, 32, 16, 16)  # torchvision's adaptive 4x4 pool is a 4x4/4 pool at 16x16
    assert torch.allclose(ours(x), reference(x), atol=1e-5)


# ---- conv blocks -------------------------------------------------------------------------

def test_conv_without_norm_carries_a_bias_like_squeezenet_conv1():
    reference = torchvision.models.squeezenet1_0(weights=None).features[:2].eval()
    ours = ConvNormAct(3, 96, 7, 2, norm=False, padding=0)
    assert list(ours.state_dict()) == ["conv.weight", "conv.bias"]
    ours.conv.load_state_dict(reference[0].state_dict())
    x = torch.randn(1, 3, 35, 35)
    assert torch.equal(ours(x), reference(x))
    assert ConvNormAct(3, 8, norm=False, bias=False).conv.bias is None
    assert ConvNormAct(3, 8, bias=True).conv.bias is not None
    assert list(ConvNormAct(3, 8).state_dict())[:2] == ["conv.weight", "bn.weight"]  # the default keeps its keys


def test_pre_activation_matches_torchvision_densenet_layer():
    reference = randomise_bn(tv_densenet._DenseLayer(16, growth_rate=8, bn_size=4, drop_rate=0.0)).eval()
    ours = nn.Sequential(ConvNormAct(16, 32, 1, pre_act=True), ConvNormAct(32, 8, 3, pre_act=True)).eval()
    assert [name for name, _ in ours[0].named_children()] == ["bn", "act", "conv"]
    assert ours[0].bn.num_features == 16 and ours[0].conv.bias is None
    names = {"norm1": "0.bn", "conv1": "0.conv", "norm2": "1.bn", "conv2": "1.conv"}
    ours.load_state_dict({names[layer] + "." + tensor: v
                          for (layer, tensor), v in ((k.split(".", 1), v) for k, v in reference.state_dict().items())})
    x = torch.randn(2, 16, 8, 8)
    assert torch.allclose(ours(x), reference(x), atol=1e-6)


def test_pre_activation_network_runs_and_traces():
    model = tiny(pre_act=True).eval()
    block = model.stages[1][0]
    assert [name for name, _ in block.named_children()] == ["bn", "act", "conv"]
    assert torch.equal(torch.fx.symbolic_trace(model)(X), model(X))


def test_tanh_conv_has_lenet5_c1_parameters():
    c1 = ConvNormAct(1, 6, 5, norm=False, padding=0, act="tanh")
    assert isinstance(c1.act, nn.Tanh)
    assert sum(p.numel() for p in c1.parameters()) == 156  # LeNet-5: "C1 has 156 trainable parameters"
    x = torch.randn(1, 1, 32, 32)
    assert c1(x).shape == (1, 6, 28, 28)  # "feature maps ... of size 28x28"
    assert torch.equal(c1(x), torch.tanh(F.conv2d(x, c1.conv.weight, c1.conv.bias)))


def test_bad_padding_is_refused():
    with pytest.raises(ValueError, match=r"padding must be an integer >= 0 .*got -1"):
        ConvNormAct(3, 8, padding=-1)


# ---- init and default_cfg ----------------------------------------------------------------

def test_each_family_chooses_its_init():
    kaiming = tiny(norm=False, head="gdc")  # convs with bias, a bias-free Linear (GDC's embedding)
    fc = kaiming.head.fc
    assert torch.equal(fc.bias, torch.zeros(10)) and abs(fc.weight.std().item() - 0.01) < 0.003
    conv = kaiming.stages[2][0].conv  # fan_out = 32 * 3 * 3
    assert torch.equal(conv.bias, torch.zeros(32)) and abs(conv.weight.std().item() - (2 / 288) ** 0.5) < 0.01
    default = tiny(norm=False, head="gdc", init="pytorch")
    assert default.head.fc.bias.abs().sum() > 0  # PyTorch's uniform bias init, left alone
    bound = 1 / (16 * 9) ** 0.5  # Kaiming-uniform with a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    weight = default.stages[2][0].conv.weight.abs()
    assert weight.max() <= bound and weight.max() > 0.9 * bound
    default.reset_classifier(3)
    assert default.head.fc.bias.abs().sum() > 0
    kaiming.reset_classifier(3)
    assert torch.equal(kaiming.head.fc.bias, torch.zeros(3))
    with pytest.raises(ValueError, match="unknown weight init 'xavier'; valid: kaiming_fan_out, pytorch"):
        tiny(init="xavier")


def test_each_family_states_its_default_cfg():
    cfg = tiny().default_cfg
    assert cfg == {"input_size": (3, 32, 32), "mean": CIFAR["mean"], "std": CIFAR["std"],
                   "interpolation": "bilinear", "crop_pct": 1.0, "num_classes": 10}
    grey = tiny(in_chans=1).default_cfg
    assert grey["input_size"] == (1, 32, 32) and grey["mean"] == (0.4734,) and grey["std"] == (0.2507,)


def test_the_builder_records_every_argument_as_the_config():
    assert tiny(head="conv").config == {"name": "tiny", "num_classes": 10, "in_chans": 3, "head": "conv",
                                        "aux_logits": False, "pre_act": False, "norm": True,
                                        "init": "kaiming_fan_out"}
    assert json.loads(json.dumps(tiny().config)) == tiny().config


# ---- features ----------------------------------------------------------------------------

def test_stage_stack_records_what_it_builds():
    body = StageStack(8, stride=2)
    body.add(nn.Identity(), 8)
    body.end_stage()
    body.add(nn.Identity(), 16, 2)
    body.add(nn.Identity(), 24, 2)
    body.end_stage()
    assert body.feature_info == [{"module": "stages.0", "num_chs": 8, "reduction": 2},
                                 {"module": "stages.1", "num_chs": 24, "reduction": 8}]
    assert body.chs == 24 and body.stride == 8 and [len(s) for s in body.stages] == [1, 2]
    with pytest.raises(ValueError, match="stage 2 has no blocks"):
        body.end_stage()


@pytest.mark.parametrize("head", sorted(HEADS))
def test_features_are_the_stage_maps_feature_info_states(head):
    model = tiny(head=head).eval()
    feats = FeatureNet(model).eval()
    maps = feats(X)
    assert [(m.shape[1], 32 // m.shape[-1]) for m in maps] == [(f["num_chs"], f["reduction"])
                                                               for f in model.feature_info]
    assert [(f["num_chs"], f["reduction"]) for f in model.feature_info] == [(8, 2), (16, 4), (32, 8)]
    assert torch.equal(maps[-1], model.stages(model.stem(X)))
    some = FeatureNet(model, out_indices=(-1, 0))
    assert some.out_indices == (0, 2) and [f["module"] for f in some.feature_info] == ["stages.0", "stages.2"]
    shallow = FeatureNet(model, out_indices=(1,))
    assert len(shallow.stages) == 2 and shallow.total_stride == 4
    missing, unexpected = shallow.load_state_dict(model.state_dict(), strict=False)
    assert not missing and all(k.startswith(("head.", "stages.2.")) for k in unexpected)
    assert all(torch.equal(a, b) for a, b in zip(torch.fx.symbolic_trace(feats)(X), maps))


@pytest.mark.parametrize("bad, message", [
    ((), "non-empty sequence"), ((3,), "from 0 to 2"), ((0, -3), "names a stage twice"), (1, "a sequence of"),
    ((True,), "non-empty sequence of distinct"), ("01", "non-empty sequence"),
])
def test_bad_out_indices_are_refused(bad, message):
    with pytest.raises(ValueError, match=f"out_indices must be .*{message}"):
        FeatureNet(tiny(), bad)


def test_a_family_states_a_minimum_input_above_its_total_stride():
    """Inception v3's unpadded stem needs 75x75 although its total stride is 32; a family
    says so with ``min_input`` and every entry point refuses smaller inputs in those words."""
    model = tiny()
    assert model.min_input == model.total_stride == 8
    stem = ConvNormAct(3, 8, 3, stride=2)
    body = StageStack(8, stride=2)
    body.add(ConvNormAct(8, 8, 3), 8)
    body.end_stage()
    big = LightNet(stem, body, ClassifierHead(8, 10), in_chans=3, init="pytorch", min_input=40)
    assert big.min_input == 40 and FeatureNet(big).min_input == 40
    with pytest.raises(ValueError, match=r"input 32x32 is smaller than the network's smallest input 40x40"):
        big(torch.randn(1, 3, 32, 32))
    assert big(torch.randn(1, 3, 40, 40)).shape == (1, 10)
    with pytest.raises(ValueError, match="min_input must be an integer >= the total stride 2, got 1"):
        LightNet(ConvNormAct(3, 8, 3, stride=2), body, ClassifierHead(8, 10), in_chans=3, init="pytorch", min_input=1)
