"""``langgraph.prebuilt.interrupt`` counterpart: the shapes of a human-review interrupt.

Plain ``TypedDict`` s (LangGraph deprecated them in favour of ``langchain.agents.interrupt``
but its docs still import them): a node passes a ``HumanInterrupt`` to ``interrupt()`` and
gets a ``HumanResponse`` back from ``Command(resume=...)``. They are data only; graphcompat
treats them like any other interrupt value.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = ["ActionRequest", "HumanInterrupt", "HumanInterruptConfig", "HumanResponse"]


class HumanInterruptConfig(TypedDict):
    """What the reviewer may do: ignore, respond, edit, accept."""

    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class ActionRequest(TypedDict):
    """The action put up for review and its arguments."""

    action: str
    args: dict[str, Any]


class HumanInterrupt(TypedDict):
    """The value a node interrupts with to ask for a review."""

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    """The reviewer's answer: ``type`` is ``accept``, ``ignore``, ``response`` or ``edit``."""

    type: Literal["accept", "ignore", "response", "edit"]
    args: None | str | ActionRequest
