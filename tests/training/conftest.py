import pytest
from tiny_training import brightness_splits, preprocessing, tiny_model

from lightnets.training import TrainConfig


@pytest.fixture
def splits():
    return brightness_splits()


@pytest.fixture
def pre():
    return preprocessing()


@pytest.fixture
def model():
    return tiny_model()


@pytest.fixture
def config(tmp_path):
    """Fast settings every engine test starts from; tests replace what they exercise."""
    def make(**overrides):
        base = dict(out_dir=tmp_path / "run", recipe="mobilenet", epochs=2, batch_size=16, lr=0.01,
                    threads=1, progress=False, device="cpu")
        return TrainConfig(**{**base, **overrides})
    return make
