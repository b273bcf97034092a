"""lightnets models loaded from torchvision / timm checkpoints compute what the sources compute."""

import pytest
import torch
import torchvision
from safetensors.torch import save_file

from lightnets.interop import SOURCES, convert_state_dict, load_reference_weights, resolve
from lightnets.interop.sources import RESNETS, SHUFFLENET_V2
from lightnets.models import create_model

TOLERANCE = 1e-4  # max abs difference of logits, float32

REQUIRED = {  # (source, arch) -> lightnets model, BatchNorm eps
    ("torchvision", "mobilenet_v2"): ("mobilenet_v2", 1e-5),
    ("torchvision", "mobilenet_v3_large"): ("mobilenet_v3_large", 1e-3),
    ("torchvision", "mobilenet_v3_small"): ("mobilenet_v3_small", 1e-3),
    ("timm", "mobilenetv1_100"): ("mobilenet_v1", 1e-5),
    ("timm", "mobilenetv2_100"): ("mobilenet_v2", 1e-5),
    ("timm", "mobilenetv3_large_100"): ("mobilenet_v3_large", 1e-5),
    ("timm", "mobilenetv3_small_100"): ("mobilenet_v3_small", 1e-5),
    ("torchvision", "googlenet"): ("googlenet", 1e-3),
    ("torchvision", "inception_v3"): ("inception_v3", 1e-3),
    ("timm", "inception_v3"): ("inception_v3", 1e-3),
    ("timm", "inception_v4"): ("inception_v4", 1e-3),
    ("timm", "inception_resnet_v2"): ("inception_resnet_v2", 1e-3),
}


def every_source() -> list:
    """Every (source, arch) in SOURCES."""
    return [pytest.param(source, arch, id=f"{source}-{arch}") for source, archs in SOURCES.items() for arch in archs]


# torchvision models without .features: their last block's output
LAST_BLOCK = {"googlenet": "inception5b", "inception_v3": "Mixed_7c", **dict.fromkeys(RESNETS, "layer4"),
              **dict.fromkeys(("mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"), "layers"),
              **dict.fromkeys(SHUFFLENET_V2, "conv5")}


def source_features(source: str, model: torch.nn.Module, x: torch.Tensor, arch: str = "") -> torch.Tensor:
    """The source's feature map before pooling, what lightnets' ``forward_features`` returns
    (torchvision's DenseNet applies its final ReLU after ``features``, in ``forward``)."""
    if source != "torchvision":
        return model.forward_features(x)
    if arch in LAST_BLOCK:
        maps = []
        handle = getattr(model, LAST_BLOCK[arch]).register_forward_hook(lambda module, args, out: maps.append(out))
        model(x)
        handle.remove()
        return maps[0]
    features = model.features(x)
    return torch.relu(features) if isinstance(model, torchvision.models.DenseNet) else features


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    return (a - b).abs().max().item()


def test_required_sources_map_to_the_right_model_and_eps():
    for (source, arch), (model, bn_eps) in REQUIRED.items():
        target = resolve(source, arch)
        assert (target.model, target.bn_eps) == (model, bn_eps), (source, arch)


@pytest.mark.parametrize("source, arch", every_source())
def test_logits_and_features_match_the_source(source, arch, reference):
    ref = reference(source, arch)
    model = load_reference_weights(ref.state_dict(), source, arch).eval()  # files: the safetensors test, the CLI's
    size = max(64, model.min_input)  # the smallest input that still leaves every stage a map
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        assert max_diff(model(x), ref(x)) < TOLERANCE
        assert max_diff(model.forward_features(x), source_features(source, ref, x, arch)) < TOLERANCE


@pytest.mark.parametrize("source, arch", [("torchvision", "mobilenet_v3_small"), ("timm", "mobilenetv2_100")])
def test_safetensors_checkpoint_at_160(source, arch, reference, tmp_path):
    ref = reference(source, arch)
    path = tmp_path / "ref.safetensors"
    save_file(ref.state_dict(), str(path))
    model = load_reference_weights(path, source, arch).eval()
    x = torch.randn(2, 3, 160, 160)
    with torch.no_grad():
        features = model.forward_features(x)
        assert features.shape[-2:] == (5, 5)
        assert max_diff(features, source_features(source, ref, x)) < TOLERANCE
        assert max_diff(model(x), ref(x)) < TOLERANCE


@pytest.mark.parametrize(
    "source, arch, options",
    [
        ("timm", "mobilenetv3_small_100", {"num_classes": 10, "in_chans": 1}),
        ("timm", "mobilenetv2_050", {"num_classes": 0}),
        ("torchvision", "mobilenet_v3_large", {"num_classes": 10}),
    ],
)
def test_num_classes_and_in_chans_come_from_the_checkpoint(source, arch, options, reference):
    ref = reference(source, arch, **options)
    model = load_reference_weights(ref.state_dict(), source, arch).eval()
    in_chans = options.get("in_chans", 3)
    assert (model.num_classes, model.in_chans) == (options["num_classes"], in_chans)
    x = torch.randn(2, in_chans, 224, 224)
    with torch.no_grad():
        assert max_diff(model(x), ref(x)) < TOLERANCE


def test_num_batches_tracked_is_copied_and_optional(reference):
    ref = reference("timm", "mobilenetv3_large_100")
    state = ref.state_dict()
    assert load_reference_weights(state, "timm", "mobilenetv3_large_100").stem.bn.num_batches_tracked == 1
    trimmed = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    model = load_reference_weights(trimmed, "timm", "mobilenetv3_large_100").eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert max_diff(model(x), ref(x)) < TOLERANCE


def test_parity_check_catches_a_wrong_batchnorm_eps(reference):
    """The same weights in a model with torchvision's eps (1e-3) instead of timm's (1e-5) must not pass."""
    ref = reference("timm", "mobilenetv3_small_100")
    model = create_model("mobilenet_v3_small", bn_eps=1e-3).eval()
    model.load_state_dict(convert_state_dict(ref.state_dict(), "timm", "mobilenetv3_small_100"))
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert max_diff(model(x), ref(x)) > 100 * TOLERANCE


def test_the_model_owns_its_tensors_in_its_own_dtype(reference):
    state = reference("torchvision", "mobilenet_v3_small").state_dict()
    half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    model = load_reference_weights(half, "torchvision", "mobilenet_v3_small")
    weight = model.state_dict()["stem.conv.weight"]
    assert weight.dtype == torch.float32 and weight.data_ptr() != half["features.0.0.weight"].data_ptr()
    assert all(p.requires_grad and not p.is_meta for p in model.parameters())
    assert not any(b.is_meta for b in model.buffers())
