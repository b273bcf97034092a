"""Convert torchvision / timm MobileNet state dicts to lightnets keys and load them exactly.

The lightnets model drives the conversion: build it on the meta device (no memory, no
init cost), ask the source's key rules for the source name of each of its layers, and
take every tensor from there. Shapes must match, except that a 1x1 conv weight
``(out, in, 1, 1)`` fills a Linear weight ``(out, in)``: timm's MobileNetV3 ``conv_head``
is a 1x1 conv on the pooled map, which is a fully connected layer.

``num_batches_tracked`` is copied when present and not required: eval-mode outputs never
read it, and exported checkpoints often drop it (BatchNorm then keeps its own zero).

Auxiliary heads are optional as a whole: a source arch whose default checkpoint carries
them (torchvision's GoogLeNet and Inception v3, ``Target.variant`` ``aux_logits=True``)
also loads a checkpoint saved without any of their keys, as the model without aux heads.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, NamedTuple

import torch

from ..io import CheckpointError, load_state_dict_file
from ..models import MODELS, LightNet, create_model, make_default_cfg
from . import (alexnet_vgg_keys, densenet_keys, dpn_keys, efficientnet_keys, inception_keys, mnasnet_keys,
               resnet_keys, shufflenet_v2_keys, squeezenet_keys, timm_keys, torchvision_keys, xception_keys)
from .sources import SOURCES, resolve
from .structure import OPTIONAL_SUFFIX, SHOWN

# source -> lightnets family (its builder's name) -> the rule naming the source module of
# every lightnets layer. One rule file per family and source.
KEY_RULES = {
    "torchvision": {"mobilenet_v2": torchvision_keys.module_names, "mobilenet_v3": torchvision_keys.module_names,
                    "densenet": densenet_keys.module_names, "googlenet": inception_keys.googlenet_torchvision,
                    "inception_v3": inception_keys.inception_v3, "alexnet": alexnet_vgg_keys.alexnet_module_names,
                    "vgg": alexnet_vgg_keys.vgg_module_names, "resnet": resnet_keys.module_names,
                    "shufflenet_v2": shufflenet_v2_keys.module_names, "squeezenet": squeezenet_keys.module_names,
                    "mnasnet": mnasnet_keys.module_names, "efficientnet": efficientnet_keys.module_names},
    "timm": {**{family: timm_keys.module_names for family in ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3",
                                                              "mnasnet", "efficientnet", "mixnet")},
             "densenet": densenet_keys.module_names, "dpn": dpn_keys.module_names,
             "inception_v3": inception_keys.inception_v3, "inception_v4": inception_keys.inception_v4_timm,
             "inception_resnet_v2": inception_keys.inception_resnet_v2_timm, "resnet": resnet_keys.module_names,
             "res2net": resnet_keys.module_names, "xception": xception_keys.module_names},
}


class KeyPair(NamedTuple):
    ours: str  # lightnets state-dict key
    theirs: str  # source state-dict key
    shape: torch.Size  # lightnets tensor shape


AUX_PREFIX = "aux_heads."


def key_pairs(source: str, arch: str, in_chans: int = 3, num_classes: int = 1000,
              aux: bool = True) -> tuple[KeyPair, ...]:
    """Every tensor of the lightnets model for ``(source, arch)``, paired with its source key.

    Keys and shapes depend only on the model, its width, the variant options the source fixes
    (aux heads add keys; ``aux=False`` drops them), ``in_chans`` and ``num_classes``;
    BatchNorm eps and activations do not matter here.
    """
    return _key_pairs(source, arch, in_chans, num_classes, aux)  # one cache entry whether defaults are passed or not


@lru_cache(maxsize=128)
def _key_pairs(source: str, arch: str, in_chans: int, num_classes: int, aux: bool) -> tuple[KeyPair, ...]:
    target = resolve(source, arch)
    with torch.device("meta"):
        model = create_model(target.model, width=target.width, in_chans=in_chans, num_classes=num_classes,
                             **_variant(target, aux))
    names = KEY_RULES[source][MODELS[target.model].builder.__name__](model)
    pairs = []
    for key, tensor in model.state_dict().items():
        module, _, tensor_name = key.rpartition(".")
        pairs.append(KeyPair(key, f"{names[module]}.{tensor_name}", tensor.shape))
    return tuple(pairs)


@dataclass
class Mismatch:
    """How a state dict fails to fit a source arch: keys it lacks, keys it has over, wrong shapes."""

    missing: list[str]
    unexpected: list[str]
    wrong_shape: list[str]

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.wrong_shape)

    def describe(self) -> str:
        kinds = (("missing", self.missing), ("unexpected", self.unexpected), ("wrong shape", self.wrong_shape))
        return "\n".join(f"  {kind} ({len(items)}): {_first(items)}" for kind, items in kinds if items)


def convert_state_dict(state_dict: Mapping[str, torch.Tensor], source: str, arch: str) -> dict[str, torch.Tensor]:
    """A torchvision / timm state dict of ``arch`` with lightnets keys, ready for ``load_state_dict``.

    Raises :class:`~lightnets.io.CheckpointError` listing missing, unexpected and
    wrongly shaped keys, and naming the supported archs the tensors do fit, if any.
    """
    state_dict = _check_tensors(state_dict)
    pairs = _sized_pairs(state_dict, source, arch)
    mismatch = _compare(state_dict, pairs)
    if mismatch:
        raise CheckpointError(
            f"the checkpoint does not fit {source} {arch!r}{_hint(state_dict)}:\n{mismatch.describe()}"
        )
    return {p.ours: _fit(state_dict[p.theirs], p.shape) for p in pairs if p.theirs in state_dict}


def identify(state_dict: Mapping[str, torch.Tensor]) -> list[tuple[str, str]]:
    """Every supported ``(source, arch)`` whose keys and shapes ``state_dict`` fits exactly."""
    state_dict = _check_tensors(state_dict)
    return [
        (source, arch)
        for source, archs in SOURCES.items()
        for arch in archs
        if _may_fit(state_dict, source, arch) and not _compare(state_dict, _sized_pairs(state_dict, source, arch))
    ]


@lru_cache(maxsize=None)
def _source_keys(source: str, arch: str) -> tuple[frozenset[str], frozenset[str]]:
    """The source keys of ``arch``, and those every checkpoint of it holds (not the BatchNorm counters, aux heads or
    classifier, which a checkpoint may lack). Key names do not depend on in_chans or num_classes."""
    pairs = key_pairs(source, arch)
    required = (p.theirs for p in pairs
                if not p.theirs.endswith(OPTIONAL_SUFFIX) and not p.ours.startswith((AUX_PREFIX, "head.fc.")))
    return frozenset(p.theirs for p in pairs), frozenset(required)


def _may_fit(state_dict: Mapping[str, torch.Tensor], source: str, arch: str) -> bool:
    """Whether ``state_dict``'s key names can be ``arch``'s, before its shapes are checked at its own size."""
    keys, required = _source_keys(source, arch)
    return required <= state_dict.keys() and all(key in keys for key in state_dict)


def load_reference_weights(
    checkpoint: str | os.PathLike | Mapping[str, torch.Tensor],
    source: str,
    arch: str,
    *,
    num_classes: int | None = None,
    in_chans: int | None = None,
) -> LightNet:
    """The lightnets model for ``(source, arch)`` holding a torchvision / timm checkpoint's weights.

    ``checkpoint`` is a ``.pth`` / ``.safetensors`` path (read without unpickling code) or
    a state dict. ``in_chans`` and ``num_classes`` come from the checkpoint's stem conv and
    classifier (0 when it has none); pass them only to assert what you expect. The model
    comes back in training mode, like any new module: call ``.eval()`` for inference.
    """
    target = resolve(source, arch)
    state_dict = load_state_dict_file(checkpoint) if isinstance(checkpoint, (str, os.PathLike)) else checkpoint
    converted = convert_state_dict(state_dict, source, arch)
    found_in_chans = converted[_stem_key(source, arch)].shape[1]
    found_classes = converted["head.fc.weight"].shape[0] if "head.fc.weight" in converted else 0
    if in_chans is not None and in_chans != found_in_chans:
        raise ValueError(
            f"in_chans={in_chans} does not match the {source} {arch} checkpoint, whose stem conv takes "
            f"{found_in_chans} input channels"
        )
    if num_classes is not None and num_classes != found_classes:
        has = f"a {found_classes}-class classifier" if found_classes else "no classifier"
        raise ValueError(
            f"num_classes={num_classes} does not match the {source} {arch} checkpoint, which has {has}; "
            f"load it as it is, then call model.reset_classifier({num_classes}) for a new head"
        )
    kwargs = target.create_kwargs()
    if _has_aux(target) and not any(key.startswith(AUX_PREFIX) for key in converted):
        kwargs["aux_logits"] = False
    with torch.device("meta"):  # no weights drawn only to be overwritten: VGG-16 builds in a tenth of the time
        model = create_model(target.model, num_classes=found_classes, in_chans=found_in_chans, **kwargs)
    _warn_if_tf_weights(checkpoint, source, arch)
    model.default_cfg |= source_cfg(target, found_in_chans)
    return _assign(model, converted)


def source_cfg(target, in_chans: int) -> dict:
    """The preprocessing the source's weights expect, as ``default_cfg`` entries (none where they take the model's
    own); statistics for another number of channels are the source's for RGB, adapted as ``make_default_cfg`` does."""
    cfg = dict(target.cfg)
    if "input_size" in cfg:
        cfg["input_size"] = (in_chans, cfg["input_size"], cfg["input_size"])
    stats = make_default_cfg(in_chans, 0, **{k: cfg[k] for k in ("mean", "std") if k in cfg})
    return cfg | {k: stats[k] for k in ("mean", "std") if k in cfg}


def _warn_if_tf_weights(checkpoint, source: str, arch: str) -> None:
    """A file named as one of timm's TF ports (``tf_*``) loaded as an arch with PyTorch's padding: a warning, since
    the tensors fit both and only the padding (and BN eps) tell them apart."""
    if isinstance(checkpoint, (str, os.PathLike)) and "tf_" in os.path.basename(os.fspath(checkpoint)) \
            and dict(resolve(source, arch).variant).get("padding") != "same":
        ported = f"tf_{arch}" if f"tf_{arch}" in SOURCES[source] else "its tf_* arch"
        warnings.warn(f"{os.fspath(checkpoint)} looks like a TensorFlow-trained checkpoint (tf_* in its name), loaded "
                      f"as {source} {arch!r}, which pads symmetrically: TF's SAME padding differs at every stride-2 "
                      f"layer, which shifts the features by a pixel and silently costs accuracy; load it as "
                      f"{ported} (padding='same', BatchNorm eps 1e-3)", stacklevel=3)


def _assign(model: LightNet, converted: dict[str, torch.Tensor]) -> LightNet:
    """``model`` (built on the meta device) holding copies of ``converted`` in its own dtypes.

    Copies, so that the model never shares the caller's tensors, and in fresh memory: a
    tensor read from a safetensors file can sit at an alignment that sends convolutions down
    another kernel path, off the source's outputs by 1e-4. A ``num_batches_tracked`` the
    checkpoint lacks starts at 0, as in a freshly built model.
    """
    expected = model.state_dict()
    tensors = {key: value.to(dtype=expected[key].dtype, copy=True) for key, value in converted.items()}
    for key, value in expected.items():
        if key not in tensors and key.endswith(OPTIONAL_SUFFIX):
            tensors[key] = torch.zeros(value.shape, dtype=value.dtype)
    model.load_state_dict(tensors, assign=True)
    left = [name for name, t in (*model.named_parameters(), *model.named_buffers()) if t.is_meta]
    if left:  # a buffer outside the state dict (non-persistent): a model the key rules do not describe
        raise RuntimeError(f"{model.config['name']}: tensors not in its state dict, left unset: {left[:SHOWN]}")
    return model


def _check_tensors(state_dict: Mapping[str, torch.Tensor]) -> Mapping[str, torch.Tensor]:
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"expected a checkpoint path or a state dict, got {type(state_dict).__name__}")
    bad = [key for key, value in state_dict.items() if not isinstance(value, torch.Tensor)]
    if bad:
        raise CheckpointError(
            f"not a state dict: {bad[0]!r} holds a {type(state_dict[bad[0]]).__name__}, not a tensor "
            f"(pass the state dict itself, e.g. checkpoint['state_dict'])"
        )
    return state_dict


def _sized_pairs(state_dict: Mapping[str, torch.Tensor], source: str, arch: str) -> tuple[KeyPair, ...]:
    """Key pairs for the model sized like the checkpoint: in_chans from its stem conv,
    num_classes from its classifier (0 without one, as timm saves with ``num_classes=0``)."""
    probe = {p.ours: p.theirs for p in key_pairs(source, arch)}
    stem = state_dict.get(probe[_stem_key(source, arch)])
    classifier = state_dict.get(probe["head.fc.weight"])
    in_chans = stem.shape[1] if stem is not None and stem.dim() == 4 else 3
    num_classes = classifier.shape[0] if classifier is not None and classifier.dim() in (2, 4) else 0
    pairs = key_pairs(source, arch, in_chans, num_classes)
    aux_keys = [p.theirs for p in pairs if p.ours.startswith(AUX_PREFIX)]
    if _has_aux(resolve(source, arch)) and not any(key in state_dict for key in aux_keys):
        return key_pairs(source, arch, in_chans, num_classes, aux=False)
    return pairs


def _has_aux(target) -> bool:
    return dict(target.variant).get("aux_logits") is True


def _variant(target, aux: bool) -> dict:
    """The variant options of ``target``, without aux heads when ``aux`` is False."""
    return {**dict(target.variant), **({} if aux or not _has_aux(target) else {"aux_logits": False})}


def _stem_key(source: str, arch: str) -> str:
    """The lightnets key of the first conv weight, whose input channels are ``in_chans``."""
    return next(p.ours for p in key_pairs(source, arch) if len(p.shape) == 4)


def _compare(state_dict: Mapping[str, torch.Tensor], pairs: tuple[KeyPair, ...]) -> Mismatch:
    expected = {p.theirs for p in pairs}
    return Mismatch(
        missing=[p.theirs for p in pairs if p.theirs not in state_dict and not p.theirs.endswith(OPTIONAL_SUFFIX)],
        unexpected=[key for key in state_dict if key not in expected],
        wrong_shape=[
            f"{p.theirs} is {tuple(state_dict[p.theirs].shape)}, lightnets {p.ours} needs {tuple(p.shape)}"
            for p in pairs
            if p.theirs in state_dict and _fit(state_dict[p.theirs], p.shape) is None
        ],
    )


def _fit(tensor: torch.Tensor, shape: torch.Size) -> torch.Tensor | None:
    """``tensor`` as ``shape``: the same shape, or a 1x1 conv kernel for a Linear weight."""
    if tensor.shape == shape:
        return tensor
    if len(shape) == 2 and tensor.shape == (*shape, 1, 1):
        return tensor.reshape(shape)
    return None


def _hint(state_dict: Mapping[str, torch.Tensor]) -> str:
    """What the state dict is instead, if we can tell."""
    fits = identify(state_dict)
    if fits:
        return "; its tensors fit " + " or ".join(f"{source} {arch!r}" for source, arch in fits)
    if any(key.startswith("stem.") for key in state_dict):
        return "; it is already a lightnets state dict: load it with create_model(...).load_state_dict()"
    return ""


def _first(items: list[str]) -> str:
    more = f", ... (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more
