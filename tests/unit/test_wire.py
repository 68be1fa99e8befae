"""Names on the wire: workflow ids per thread and namespace."""

from __future__ import annotations

from graphcompat._wire import workflow_id_for


def test_workflow_ids_of_threads_and_namespaces_never_collide() -> None:
    assert workflow_id_for("t1") == "graphcompat-thread:t1"  # plain ids read as they are
    ids = {workflow_id_for("a/b"), workflow_id_for("a", "b"), workflow_id_for("a%2Fb"), workflow_id_for("a", "b/c"), workflow_id_for("a/b", "c")}
    assert len(ids) == 5


def test_payload_converters_share_their_pydantic_schemas() -> None:
    # The SDK makes a new payload converter per workflow run; each used to rebuild the
    # pydantic schema of every payload type (~4 ms each, every run).
    import dataclasses

    from graphcompat import plugin
    from graphcompat._wire import RunResult, RunStatus

    first = plugin.data_converter()
    second = dataclasses.replace(first)  # what the SDK does per run
    assert first.payload_converter is not second.payload_converter
    payload = first.payload_converter.to_payloads([RunResult(RunStatus.DONE, "c1", 3)])
    assert first.payload_converter.from_payloads(payload, [RunResult]) == [RunResult(RunStatus.DONE, "c1", 3)]
    built = plugin._TYPE_ADAPTERS.cache_info().misses
    assert second.payload_converter.from_payloads(payload, [RunResult]) == [RunResult(RunStatus.DONE, "c1", 3)]
    assert plugin._TYPE_ADAPTERS.cache_info().misses == built  # reused, not rebuilt
