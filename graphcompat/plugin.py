"""``GraphcompatPlugin``: the one place graphcompat is composed onto Temporal.

A Temporal plugin (``temporalio.plugin.SimplePlugin``) that configures

- clients and replayers with graphcompat's data converter (pydantic: the
  wire's dataclasses and enums are checked and rebuilt from their type hints);
- workers and replayers with the ``GraphRun`` and cleanup workflows and the
  graph activities, bound to a registry of graphs.

Every path uses it: the embedded runtime, ``worker.py``, ``graphcompat.testing``,
the command line and the tests' replay checks. Users who run their own
Temporal workers add graphcompat to them the same way::

    from graphcompat.plugin import GraphcompatPlugin

    client = await Client.connect("localhost:7233", plugins=[GraphcompatPlugin()])
    worker = Worker(client, task_queue="graphcompat")  # runs graphs compiled in this process

A worker built from a client that has the plugin gets the workflows and
activities automatically; pass ``GraphcompatPlugin(registry)`` to the worker
to serve another set of graphs (``worker.py`` does, for ``--graph`` ones).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import temporalio.activity
import temporalio.workflow
from temporalio.client import Client
from pydantic import TypeAdapter
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultPayloadConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import Replayer, Worker

from graphcompat.errors import ConfigurationError

if TYPE_CHECKING:
    from graphcompat._registry import GraphRegistry

__all__ = ["GraphcompatPlugin", "build_worker", "data_converter", "replayer"]

PLUGIN_NAME = "graphcompat"


#: Pydantic type adapters shared by every payload converter of the process (see below).
_TYPE_ADAPTERS = functools.lru_cache(maxsize=1024)(TypeAdapter)


class _PayloadConverter(PydanticPayloadConverter):
    """pydantic's payload converter, with one type-adapter cache for the whole process.

    The SDK makes a fresh payload converter for every workflow run (its data
    converter is copied per run), and each ``PydanticPayloadConverter`` caches
    its ``TypeAdapter``s itself: every run rebuilt the pydantic schemas of our
    payload dataclasses, about 4 ms each, ~1.5 ms per super-step of a 10-node
    chain. Payloads are unchanged: same encoding, same JSON.
    """

    def __init__(self) -> None:
        super().__init__()
        for converter in self.converters.values():
            if isinstance(converter, PydanticJSONPlainPayloadConverter):
                converter._type_adapter = _TYPE_ADAPTERS  # the SDK's own (private) cache slot


def data_converter(existing: DataConverter | None = None) -> DataConverter:
    """graphcompat's data converter, keeping what ``existing`` adds (a payload codec, a failure converter).

    A converter whose payload converter is already pydantic's is kept as is;
    the SDK's default one gets pydantic's payload converter. Any other payload
    converter is refused: graphcompat cannot know how to merge it.
    """
    base = existing or DataConverter.default
    cls = base.payload_converter_class
    if issubclass(cls, PydanticPayloadConverter):  # pydantic's own or a subclass: kept as it is
        return base
    if cls is DefaultPayloadConverter:
        return dataclasses.replace(base, payload_converter_class=_PayloadConverter)
    name = f"{cls.__module__}.{cls.__qualname__}"
    raise ConfigurationError(
        f"The Temporal client's payload converter is {name}; graphcompat's clients, workers and replays use "
        "temporalio.contrib.pydantic.PydanticPayloadConverter. Connect with plugins=[GraphcompatPlugin()] and "
        "no data_converter, or data_converter=temporalio.contrib.pydantic.pydantic_data_converter (to keep a "
        "payload codec: dataclasses.replace(pydantic_data_converter, payload_codec=your_codec)).",
        payload_converter=name,
    )


def _workflows() -> list[type]:
    from workflows.cleanup import cleanup_workflows
    from workflows.graph_run import GraphRunWorkflow

    return [GraphRunWorkflow, *cleanup_workflows()]


class GraphcompatPlugin(SimplePlugin):
    """Adds graphcompat to Temporal clients, workers and replayers.

    ``registry``: the graphs whose nodes this worker runs; by default every
    graph compiled in this process.
    """

    def __init__(self, registry: GraphRegistry | None = None) -> None:
        from activities.cleanup import cleanup_activities
        from activities.graph_activities import GraphActivities
        from graphcompat._registry import process_registry

        self.registry = registry if registry is not None else process_registry
        self.graph_activities = GraphActivities(self.registry)
        workflows = _workflows()
        activities = [*self.graph_activities.all(), *cleanup_activities()]
        super().__init__(
            PLUGIN_NAME,
            data_converter=data_converter,
            workflows=lambda existing: _merge(existing, workflows),
            activities=lambda existing: _merge(existing, activities),
        )


def _name(item: Any) -> Any:
    """An activity's or workflow's registered name (what Temporal refuses twice)."""
    defn = temporalio.activity._Definition.from_callable(item) if callable(item) and not isinstance(item, type) else None
    if defn is not None:
        return defn.name
    wf = temporalio.workflow._Definition.from_class(item) if isinstance(item, type) else None
    return wf.name if wf is not None else item


def _merge(existing: Sequence[Any] | None, ours: Sequence[Any]) -> list[Any]:
    """``existing`` with ours in place of any of the same name: when a client and its
    worker both have the plugin, the worker's (the last applied) serves its registry."""
    names = {_name(item) for item in ours}
    return [item for item in existing or [] if _name(item) not in names] + list(ours)


def build_worker(client: Client, task_queue: str, registry: GraphRegistry | None = None, **options: Any) -> Worker:
    """A worker that runs graphcompat's workflows and the activities of the graphs in ``registry``."""
    # A killed worker's sticky queue holds the next workflow task until this
    # timeout (SDK default 10 s); our histories are short (continue-as-new),
    # so falling back to a full replay sooner is cheap and recovery is faster.
    options.setdefault("sticky_queue_schedule_to_start_timeout", timedelta(seconds=2))
    on_client = [p for p in client.config()["plugins"] if isinstance(p, GraphcompatPlugin)]
    if on_client and (registry is None or on_client[-1].registry is registry):
        return Worker(client, task_queue=task_queue, **options)
    with warnings.catch_warnings():
        # The SDK warns that the plugin is on both; ours replaces the client's registry on purpose.
        warnings.filterwarnings("ignore", message="The same plugin type", category=UserWarning)
        return Worker(client, task_queue=task_queue, plugins=[GraphcompatPlugin(registry)], **options)


def replayer(**options: Any) -> Replayer:
    """A ``Replayer`` for graphcompat's workflow histories (determinism checks)."""
    return Replayer(workflows=[], plugins=[GraphcompatPlugin()], **options)
