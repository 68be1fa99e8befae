"""``graphcompat``: the command line (``demo``, ``worker``, ``server``, ``threads``, ``history``, ``state``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graphcompat", description="Run LangGraph-style graphs durably on Temporal.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="the lesson's pipeline on the embedded default: fails, resumes, prints its history")
    worker = sub.add_parser("worker", help="run a worker (same as worker.py)", add_help=False)
    worker.add_argument("rest", nargs=argparse.REMAINDER)
    args, rest = parser.parse_known_args(argv)
    from graphcompat.errors import GraphCompatError

    try:
        if args.command == "demo":
            from graphcompat._demo import main as demo

            return demo()
        if args.command == "worker":
            import worker as worker_module

            return worker_module.main([*args.rest, *rest])
    except GraphCompatError as exc:
        print(f"graphcompat: error: {exc}", file=sys.stderr)
        return 2
    return 0
