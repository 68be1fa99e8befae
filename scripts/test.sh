#!/usr/bin/env bash
# The test suite on real Temporal servers (installs what it needs on first run).
# Postgres store tests run when GRAPHCOMPAT_TEST_POSTGRES_URL is set, e.g.
#   GRAPHCOMPAT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test scripts/test.sh
source "$(dirname "$0")/_env.sh"
exec .venv/bin/python -m pytest -q -rs "$@"
