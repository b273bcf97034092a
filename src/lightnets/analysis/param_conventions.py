"""How parameters are counted: the conventions the published tables use.

- ``pytorch``: every ``nn.Parameter`` (conv/FC weights and biases, BN gamma and beta;
  no running statistics). torchvision's ``num_params``.
- ``conv_fc``: conv and FC weights and biases, no BN (TF-slim MobileNetV2 README).
- ``conv_fc_weights``: conv and FC weights only (MobileNetV1 paper Table 2 shares).
- ``tf_checkpoint``: every variable of a TF-slim checkpoint: conv/FC weights and biases,
  BN beta, moving mean and moving variance (TF-slim BN has no gamma) (MobileNetV1 README).
"""

from __future__ import annotations

from torch import nn

CONVENTIONS = ("pytorch", "conv_fc", "conv_fc_weights", "tf_checkpoint")


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown parameter convention {convention!r}; valid: {', '.join(CONVENTIONS)}")
    return convention


def count_params(module: nn.Module, convention: str = "pytorch") -> int:
    """Parameters held directly by ``module`` (not its children) under ``convention``."""
    own = dict(module.named_parameters(recurse=False))
    if convention == "pytorch":
        return sum(p.numel() for p in own.values())
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        if convention == "tf_checkpoint":
            return 3 * module.num_features
        return 0
    if convention == "conv_fc_weights":
        return own["weight"].numel() if "weight" in own else 0
    return sum(p.numel() for p in own.values())
