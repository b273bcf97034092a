import pytest
import torch


def realistic(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random BatchNorm statistics and affine terms, and a classifier with O(1) logits,
    so that a wrong fold or export shows up far above the tolerance."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    fc = model.head.fc
    fc.weight.data.copy_(torch.randn(fc.weight.shape, generator=g))
    return model.eval()


@pytest.fixture(scope="session")
def make_realistic():
    return realistic
