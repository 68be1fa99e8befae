"""``InjectedState`` / ``InjectedStore``: tool arguments the graph fills in, not the model.

Both subclass ``langchain_core``'s ``InjectedToolArg``, so langchain already
hides them from ``tool.tool_call_schema`` (what the model sees); the
``ToolNode`` finds them in the tool's input schema and fills them in before
calling the tool, dropping any value the model tried to pass for them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from langchain_core.tools import BaseTool, InjectedToolArg

from graphcompat.errors import StoreNotSupportedError

__all__ = ["InjectedArgs", "InjectedState", "InjectedStore", "inject", "injected_args_of"]


class InjectedState(InjectedToolArg):
    """Annotation for a tool argument that receives the graph state (or one key of it).

    ``Annotated[dict, InjectedState]`` receives the whole state,
    ``Annotated[list, InjectedState("messages")]`` only that key.
    """

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """Annotation for a tool argument that receives LangGraph's ``BaseStore``.

    graphcompat has no store yet: importing this works, and a ``ToolNode``
    given a tool that asks for it raises :class:`StoreNotSupportedError`.
    """


@dataclasses.dataclass(frozen=True)
class InjectedArgs:
    """Which arguments of a tool the graph fills in: ``{argument: state key or None}``."""

    state: dict[str, str | None] = dataclasses.field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    store: str | None = None

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self.state) | ({self.store} if self.store else set())


def injected_args_of(tool: BaseTool) -> InjectedArgs:
    """Read the ``InjectedState``/``InjectedStore`` annotations of ``tool``'s arguments."""
    state: dict[str, str | None] = {}
    optional: set[str] = set()
    store: str | None = None
    try:
        fields = tool.get_input_schema().model_fields
    except Exception:  # a schema pydantic cannot build: nothing is injected
        return InjectedArgs()
    for name, info in fields.items():
        for marker in info.metadata:
            if marker is InjectedState or isinstance(marker, InjectedState):
                state[name] = marker.field if isinstance(marker, InjectedState) else None
                if not info.is_required():
                    optional.add(name)
            elif marker is InjectedStore or isinstance(marker, InjectedStore):
                store = name
    if store is not None:
        raise StoreNotSupportedError(
            f"Tool {tool.name!r} asks for a store (argument {store!r} is annotated InjectedStore), but "
            "graphcompat does not support LangGraph stores yet. Keep long-term data in the graph state or "
            "in your own database, and drop the InjectedStore argument.",
            tool=tool.name,
            argument=store,
        )
    return InjectedArgs(state, frozenset(optional), store)


def inject(call_args: dict[str, Any], injected: InjectedArgs, state: Any, tool_name: str, messages_key: str) -> dict[str, Any]:
    """The tool's arguments: the model's, minus any injected names, plus the injected values."""
    args = {k: v for k, v in call_args.items() if k not in injected.keys}
    if not injected.state:
        return args
    if isinstance(state, list):
        fields = set(injected.state.values())
        if fields - {None, messages_key}:
            raise ValueError(
                f"Invalid input to ToolNode. Tool {tool_name} requires graph state dict as input. "
                f"State should contain fields {', '.join(f for f in fields if f)}."
            )
        state = {messages_key: state}
    for arg, field in injected.state.items():
        if field is None:
            args[arg] = state
        elif isinstance(state, dict):
            if field in state:
                args[arg] = state[field]
            elif arg not in injected.optional:
                raise KeyError(field)
        elif hasattr(state, field):
            args[arg] = getattr(state, field)
        elif arg not in injected.optional:
            raise AttributeError(field)
    return args
