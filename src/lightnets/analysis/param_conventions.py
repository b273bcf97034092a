"""How parameters are counted: the conventions the published tables use.

- ``pytorch``: every ``nn.Parameter`` (conv/FC weights and biases, BN gamma and beta;
  no running statistics). torchvision's ``num_params``.
- ``conv_fc``: every parameter except normalisation gamma and beta (TF-slim MobileNetV2 README).
- ``conv_fc_weights``: conv and FC weights only (MobileNetV1 paper Table 2 shares).
- ``tf_checkpoint``: every variable of a TF-slim checkpoint: conv/FC weights and biases,
  BN beta, moving mean and moving variance (TF-slim BN has no gamma) (MobileNetV1 README).

A tensor's role comes from the op that reads it (see :func:`tensor_role`), not from the
module that holds it, so the conventions apply to any network.
"""

from __future__ import annotations

CONVENTIONS = ("pytorch", "conv_fc", "conv_fc_weights", "tf_checkpoint")
ROLES = ("weight", "bias", "gamma", "beta", "running_mean", "running_var", "other")

_LINEAR_OPS = {"convolution", "_convolution", "conv1d", "conv2d", "conv3d", "mm", "addmm", "bmm", "baddbmm"}
_NORM_ARGS = {1: "gamma", 2: "beta", 3: "running_mean", 4: "running_var"}  # (input, weight, bias, mean, var, ...)
_LAYER_NORM_ARGS = {2: "gamma", 3: "beta"}  # (input, normalized_shape, weight, bias, eps)


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown parameter convention {convention!r}; valid: {', '.join(CONVENTIONS)}")
    return convention


def tensor_role(op_name: str, arg_index: int, ndim: int) -> str:
    """The role of a parameter or buffer read as argument ``arg_index`` of aten op ``op_name``."""
    if op_name in _LINEAR_OPS:
        return "weight" if ndim >= 2 else "bias"
    if "layer_norm" in op_name:
        return _LAYER_NORM_ARGS.get(arg_index, "other")
    if "norm" in op_name:
        return _NORM_ARGS.get(arg_index, "other")
    return "other"


def counts(convention: str, role: str, is_parameter: bool) -> bool:
    """Whether a tensor of ``role`` counts under ``convention``."""
    if convention == "pytorch":
        return is_parameter
    if convention == "conv_fc":
        return is_parameter and role not in ("gamma", "beta")
    if convention == "conv_fc_weights":
        return role == "weight"
    return role != "gamma" and (is_parameter or role in ("running_mean", "running_var"))
