"""RMSProp as TensorFlow 1 computes it (``tf.train.RMSPropOptimizer``), the optimizer the
MobileNet papers trained with.

torch's :class:`torch.optim.RMSprop` differs in three ways that matter for this recipe:

- TF starts the mean square at 1, torch at 0. From 0, the first steps divide the
  gradient by ``sqrt(0.1 g^2)``, a step of about ``3.16 lr`` per weight whatever the
  gradient's size; from 1 they are small. This is what makes the papers' recipe stable.
- TF adds epsilon inside the square root, torch outside: the recipe's ``eps=1e-3`` is
  ``sqrt(1e-3) ~ 0.03`` in torch's terms, a far stronger damping than 1e-3 there.
- TF multiplies by the learning rate inside the momentum accumulator, torch outside;
  with a learning rate that changes every step (warm-up, decay) the updates differ.

So lightnets carries this small variant rather than a torch RMSprop with a translated
epsilon. Per parameter, with ``rho`` = decay (torch's ``alpha``)::

    g   = grad + weight_decay * w           (TF's L2 term in the loss)
    ms  = rho * ms + (1 - rho) * g^2        (ms starts at 1)
    mom = momentum * mom + lr * g / sqrt(ms + eps)
    w   = w - mom
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch.optim import Optimizer


class RMSpropTF(Optimizer):
    """TF1's RMSProp with momentum; arguments named as in :class:`torch.optim.RMSprop`."""

    def __init__(
        self,
        params: Iterable,
        lr: float,
        alpha: float = 0.9,
        eps: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ):
        for name, value, ok, valid in (
            ("lr", lr, lr >= 0, ">= 0"), ("alpha", alpha, 0 <= alpha < 1, "in [0, 1)"),
            ("eps", eps, eps > 0, "> 0"), ("momentum", momentum, 0 <= momentum < 1, "in [0, 1)"),
            ("weight_decay", weight_decay, weight_decay >= 0, ">= 0"),
        ):
            if not ok:
                raise ValueError(f"RMSpropTF {name} must be {valid}, got {value!r}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"]:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.ones_like(p, memory_format=torch.preserve_format)
                    state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                square_avg, buf = state["square_avg"], state["momentum_buffer"]
                square_avg.mul_(group["alpha"]).addcmul_(grad, grad, value=1 - group["alpha"])
                buf.mul_(group["momentum"]).addcdiv_(grad, square_avg.add(group["eps"]).sqrt_(), value=group["lr"])
                p.sub_(buf)
        return loss
