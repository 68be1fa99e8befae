"""Find a compiled graph by name: what ``--graph package.module:attribute`` means.

Shared by ``worker.py`` and the command line, so that a worker and
``graphcompat run --graph ...`` read the same spec the same way.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

__all__ = ["load_graph"]


def load_graph(spec: str) -> Any:
    """Import ``package.module:attribute`` and return the compiled graph it names.

    The module is imported with the working directory on ``sys.path`` (as
    ``python -m`` would have it); ``attribute`` may be dotted
    (``module:holder.graph``). When it names a callable that is not itself a
    compiled graph, it is taken as a factory and called with no arguments.
    Whatever results must be a ``CompiledStateGraph``: anything else (a
    builder that was never compiled, a plain function's return value) is
    refused with a :class:`~graphcompat.errors.ConfigurationError` that says
    what was found, as are malformed specs, modules that cannot be imported
    and missing attributes.
    """
    from graphcompat.errors import ConfigurationError
    from graphcompat.graph._compiled import CompiledStateGraph

    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigurationError(f"--graph {spec!r}: expected package.module:attribute, e.g. myapp.graphs:graph.")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"--graph {spec!r}: cannot import {module_name!r} ({exc}). Is it on PYTHONPATH?") from exc
    obj: Any = module
    for part in attribute.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ConfigurationError(f"--graph {spec!r}: {module_name} has no attribute {attribute!r}.")
    if callable(obj) and not isinstance(obj, CompiledStateGraph):
        obj = obj()  # a factory
    if not isinstance(obj, CompiledStateGraph):
        raise ConfigurationError(
            f"--graph {spec!r} is a {type(obj).__name__}, not a compiled graph; point it at builder.compile(...)."
        )
    return obj
