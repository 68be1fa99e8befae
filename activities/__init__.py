"""The Temporal activities of a graph run (all user code runs here, never in workflows)."""
