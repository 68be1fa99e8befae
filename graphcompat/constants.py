"""``langgraph.constants`` counterpart: ``START``, ``END``, ``TAG_NOSTREAM``, ``TAG_HIDDEN``.

``START`` and ``END`` are the same strings as LangGraph's (``"__start__"``,
``"__end__"``), so graphs, stored checkpoints and routers agree between the two.
``Send`` and ``Interrupt`` still import from here, as LangGraph allows with a
deprecation warning; their home is :mod:`graphcompat.types`.
"""

from __future__ import annotations

import warnings
from typing import Any, Final

from graphcompat._constants import END, START

__all__ = ["END", "START", "TAG_HIDDEN", "TAG_NOSTREAM"]

#: Tag that keeps a chat model's tokens out of the ``messages`` stream (LangGraph's value).
TAG_NOSTREAM: Final = "nostream"
#: Tag that hides a node or edge from tracing and streaming (LangGraph's value).
TAG_HIDDEN: Final = "langsmith:hidden"


def __getattr__(name: str) -> Any:
    if name in ("Send", "Interrupt"):
        warnings.warn(
            f"Importing {name} from graphcompat.constants is deprecated (as in LangGraph); "
            f"use 'from graphcompat.types import {name}'.",
            DeprecationWarning,
            stacklevel=2,
        )
        from graphcompat import types

        return getattr(types, name)
    raise AttributeError(f"module 'graphcompat.constants' has no attribute {name!r}")
