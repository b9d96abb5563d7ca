"""The model in service: champion from a real MLflow registry, local cache, hot swap."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from serving.lifecycle import ModelLifecycle, ModelUnavailable
from training.errors import RegistryError
from training.registry import promote


def test_loads_champion_caches_it_and_swaps_when_alias_moves(
    registry_uri: str, tmp_path: Path
) -> None:
    swaps: list[str] = []
    life = ModelLifecycle(registry_uri, tmp_path / "cache", poll_seconds=0)
    life.on_swap = lambda served: swaps.append(served.version)
    first = life.start(poll=False)
    assert (first.version, first.source) == ("1", "registry")
    assert (tmp_path / "cache" / "CURRENT").read_text().strip() == "v1"
    assert life.check() is False  # alias has not moved

    x = np.zeros((1, len(first.scorer.features)))
    promote("2", registry_uri)
    assert life.check() is True
    second = life.current
    assert second.version == "2" and swaps == ["1", "2"]
    # the old object a request in flight holds still works after the swap
    assert first.scorer.predict_matrix(x).shape == (1,)
    assert (tmp_path / "cache" / "CURRENT").read_text().strip() == "v2"


def test_registry_down_serves_cached_model(
    registry_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ModelLifecycle(registry_uri, tmp_path / "cache", poll_seconds=0).start(poll=False)
    down = ModelLifecycle("http://127.0.0.1:9", tmp_path / "cache", poll_seconds=0)
    with caplog.at_level(logging.WARNING, logger="serving.lifecycle"):
        served = down.start(poll=False)
    assert (served.version, served.source) == ("1", "cache")
    assert "registry unavailable, serving the cached model" in caplog.text
    # A dead registry is an error to whoever asks (the poller logs it), never "no champion";
    # the current model stays in service.
    with pytest.raises(RegistryError, match="cannot read the 'champion' alias"):
        down.check()
    assert down.current.version == "1"


def test_no_registry_and_no_cache_is_a_clear_error(tmp_path: Path) -> None:
    life = ModelLifecycle("http://127.0.0.1:9", tmp_path / "empty-cache", poll_seconds=0)
    with pytest.raises(ModelUnavailable, match="no model is cached in .*empty-cache"):
        life.start(poll=False)


def test_poller_picks_up_the_new_champion(registry_uri: str, tmp_path: Path) -> None:
    import time

    life = ModelLifecycle(registry_uri, tmp_path / "cache", poll_seconds=0.2)
    life.start()
    try:
        promote("2", registry_uri)
        deadline = time.monotonic() + 20
        while life.current.version != "2" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert life.current.version == "2"
    finally:
        life.stop()
