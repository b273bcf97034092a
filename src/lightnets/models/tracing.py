"""Whether a forward pass is being traced or compiled rather than run.

Input checks read concrete shapes and raise Python errors; under torch.fx symbolic tracing,
``torch.jit.trace``, ``torch.export`` and ``torch.compile`` they are skipped so that the
graph holds only the network's own ops.
"""

from __future__ import annotations

import torch
from torch.fx._symbolic_trace import is_fx_symbolic_tracing


def is_tracing() -> bool:
    return torch.jit.is_tracing() or torch.compiler.is_compiling() or is_fx_symbolic_tracing()
