"""Run a graphcompat worker: ``python worker.py --graph package.module:graph [--graph ...]``.

A thin entry point: the worker itself is ``graphcompat._worker`` (also
``graphcompat worker``). See ``python worker.py --help`` and docs/deploy.md.
"""

from __future__ import annotations

import sys

from graphcompat._worker import load_graph, main, run_worker

__all__ = ["load_graph", "main", "run_worker"]

if __name__ == "__main__":
    sys.exit(main())
