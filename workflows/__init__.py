"""The Temporal workflow that drives a graph's super-steps (runs no user code)."""

from workflows.graph_run import GraphRunWorkflow, RunInput, RunResult

__all__ = ["GraphRunWorkflow", "RunInput", "RunResult"]
