"""Names on the wire: workflow ids per thread and namespace."""

from __future__ import annotations

from graphcompat._wire import workflow_id_for


def test_workflow_ids_of_threads_and_namespaces_never_collide() -> None:
    assert workflow_id_for("t1") == "graphcompat-thread:t1"  # plain ids read as they are
    ids = {workflow_id_for("a/b"), workflow_id_for("a", "b"), workflow_id_for("a%2Fb"), workflow_id_for("a", "b/c"), workflow_id_for("a/b", "c")}
    assert len(ids) == 5
