"""Shared by the search tests: a latency cache of each test's own, and a latency that is
the network's multiply-adds (1 ms per million) for the tests whose trajectory must be
exact on a noisy machine (NetAdapt, the search)."""

import pytest

from lightnets import profile
from lightnets.search import LatencyProbe


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def macs_latency(monkeypatch):
    def ms(self, model):
        return profile(model, self.resolution).macs / 1e6

    monkeypatch.setattr(LatencyProbe, "predict", ms)
    monkeypatch.setattr(LatencyProbe, "measure", ms)
