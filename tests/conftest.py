import os

import pytest
import torch


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs one worker per core), each worker's torch gets
    its share of the cores, so that two workers do not run four threads on two cores. Tests
    that need a thread count set their own."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
