"""graphcompat's custom search attributes: does the server have them, and the values of a run.

Runs started by a client (``CompiledStateGraph._start``) and subgraph runs
started by a node activity (``_subgraph.run_child``) both carry
``GraphThreadId`` and ``GraphName`` when the namespace has them, so the Web UI
finds a thread's runs, its subgraphs' included, with one query.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from graphcompat._wire import SEARCH_ATTRIBUTES

__all__ = ["has_search_attributes", "run_attributes"]

log = logging.getLogger("graphcompat")

_known: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


async def has_search_attributes(client: Any) -> bool:
    """True when the server knows graphcompat's custom search attributes (asked once per client)."""
    if client in _known:
        return _known[client]
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except Exception:
        _known[client] = False
        return False
    missing = set(SEARCH_ATTRIBUTES) - set(response.custom_attributes)
    if missing:
        log.warning(
            "Temporal namespace %r lacks search attributes %s; runs will not be searchable by thread. "
            "Create them with `temporal operator search-attribute create` (docker-compose's setup does).",
            client.namespace,
            ", ".join(sorted(missing)),
        )
    _known[client] = not missing
    return not missing


def run_attributes(thread_id: str, graph_name: str) -> TypedSearchAttributes:
    """The search attributes of a run of ``graph_name`` on ``thread_id``."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SearchAttributeKey.for_keyword("GraphThreadId"), thread_id),
            SearchAttributePair(SearchAttributeKey.for_keyword("GraphName"), graph_name),
        ]
    )
