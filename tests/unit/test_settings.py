"""Settings from the environment: one reader, clear errors for unusable values."""

from __future__ import annotations

import pytest

from graphcompat import _settings
from graphcompat.errors import ConfigurationError


def test_task_queue_precedence_is_call_then_graph_then_environment_then_default(monkeypatch) -> None:
    monkeypatch.delenv("GRAPHCOMPAT_TASK_QUEUE", raising=False)
    assert _settings.task_queue(None, None) == "graphcompat"
    monkeypatch.setenv("GRAPHCOMPAT_TASK_QUEUE", "from-env")
    assert _settings.task_queue(None, None) == "from-env"
    assert _settings.task_queue(None, "from-graph") == "from-graph"
    assert _settings.task_queue("from-call", "from-graph") == "from-call"


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("0", False), ("false", False), ("", False), (" NO ", False)])
def test_inprocess_worker_flag(monkeypatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("GRAPHCOMPAT_INPROCESS_WORKER", value)
    assert _settings.inprocess_worker() is expected


def test_a_bad_number_names_the_variable_and_what_to_do(monkeypatch) -> None:
    monkeypatch.setenv("GRAPHCOMPAT_UI_PORT", "eighty")
    with pytest.raises(ConfigurationError, match=r"GRAPHCOMPAT_UI_PORT='eighty' is not a whole number of at least 1; fix or unset it"):
        _settings.ui_port()
    monkeypatch.setenv("GRAPHCOMPAT_UI_PORT", "8233")
    assert _settings.ui_port() == 8233


def test_max_concurrent_activities_zero_means_the_sdk_default(monkeypatch) -> None:
    monkeypatch.setenv("GRAPHCOMPAT_MAX_CONCURRENT_ACTIVITIES", "0")
    assert _settings.max_concurrent_activities() is None
    monkeypatch.setenv("GRAPHCOMPAT_MAX_CONCURRENT_ACTIVITIES", "-3")
    with pytest.raises(ConfigurationError, match="GRAPHCOMPAT_MAX_CONCURRENT_ACTIVITIES"):
        _settings.max_concurrent_activities()


def test_temporal_address_only_when_envconfig_has_none(monkeypatch) -> None:
    monkeypatch.setenv("GRAPHCOMPAT_TEMPORAL_ADDRESS", "127.0.0.1:7999")
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    assert _settings.temporal_address() == "127.0.0.1:7999" and _settings.temporal_configured()
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:7233")
    assert _settings.temporal_address() is None

