import pytest
import torch

from lightnets import create_model, list_models, profile
from lightnets.deploy import fold_bn


@pytest.mark.parametrize("name", list_models())
def test_folded_model_matches_in_eval_mode(name, make_realistic):
    model = make_realistic(create_model(name, num_classes=10))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    folded = fold_bn(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected, got = model(x), folded(x)
    assert expected.abs().max() > 1  # the comparison means something
    assert (expected - got).abs().max() < 1e-4 * expected.abs().max()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # original untouched
    assert profile(folded, 64).macs == profile(model, 64).macs  # folding moves no MACs
