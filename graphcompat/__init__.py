"""graphcompat: LangGraph-style agent graphs, run durably on Temporal.

Write graphs with LangGraph's API (swap ``langgraph`` for ``graphcompat`` in
the imports); every node runs as a Temporal activity, every super-step as a
step of a Temporal workflow, and a LangGraph-style snapshot is stored after
every super-step, so ``get_state``, history, ``update_state``, replay and
fork work from any process.
"""

from graphcompat._constants import END, START

__version__ = "0.1.0"

__all__ = ["END", "START", "__version__"]
