"""``--model-kwargs KEY=VALUE ...``: a model's variant options from the command line
(``lightnets profile mobilenet_v1 --model-kwargs separable=false shallow=true``).

The keys are the builder's (:func:`lightnets.models.registry.variant_names`); each value is
read as the type of the key's default, found in the config of the model built with its
defaults: ``true``/``false``, an integer, a number or a word; a value that starts with ``{``
is JSON (``widths={"stem": 16, ...}``: a ``model.widths`` plan written as JSON). An unknown key or a value of
the wrong type is a ``ValueError`` naming the key and the valid ones, before any work.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

# Options the shared model arguments already spell; variant_names leaves them out.
OWN_OPTIONS = {"width": "--width", "resolution": "--resolution", "in_chans": "--in-chans",
               "num_classes": "--num-classes"}
KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a word"}


def parse_model_kwargs(model: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``["separable=false", "drop_rate=0.1"]`` -> ``{"separable": False, "drop_rate": 0.1}``."""
    from ..models.registry import variant_names
    from ..tasks.dense import dense_task_of

    dense = dense_task_of(model)
    if dense is not None:
        defaults = dense.variants(model)
        valid = list(defaults)
    else:
        valid = variant_names(model)
        defaults = _defaults(model, valid)
    listing = (f"valid: {', '.join(f'{k}={_text(defaults[k])}' for k in valid)} (the defaults)" if valid
               else f"{model} has no variant options")
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--model-kwargs {pair!r} is not KEY=VALUE; {listing}")
        if key in OWN_OPTIONS:
            raise ValueError(f"--model-kwargs {key}: {key} has its own option, {OWN_OPTIONS[key]}")
        if key not in valid:
            raise ValueError(f"--model-kwargs {key}: {model} has no variant option {key!r}; {listing}")
        if key in kwargs:
            raise ValueError(f"--model-kwargs {key}: given twice")
        kwargs[key] = _value(key, text, defaults[key], listing)
    return kwargs


def _defaults(model: str, keys: list[str]) -> dict[str, Any]:
    """Each variant key's default, as the model built with its defaults records it (on the
    meta device: no memory, no initialisation); None for a key its config leaves out."""
    import torch

    from ..models import create_model

    with torch.device("meta"):
        config = create_model(model).config
    return {k: config.get(k) for k in keys}


def _value(key: str, text: str, default: Any, listing: str) -> Any:
    if text.startswith("{"):  # a dict-valued option (widths), as JSON
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"--model-kwargs {key}: the value is not valid JSON ({e.msg} at character {e.pos})") \
                from None
    value = _literal(text)
    kind = type(default)
    if kind is str:
        return text
    if kind in KINDS:
        fits = (isinstance(value, bool) if kind is bool else
                isinstance(value, int) and not isinstance(value, bool) if kind is int else
                isinstance(value, (int, float)) and not isinstance(value, bool))
        if not fits:
            raise ValueError(f"--model-kwargs {key}={text}: {key} takes {KINDS[kind]} "
                             f"(default {_text(default)}); {listing}")
        return float(value) if kind is float else value
    return value


def _literal(text: str) -> bool | int | float | str:
    """``true``/``false`` (any case) -> bool, then int, then float, else the text itself."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
