#!/usr/bin/env bash
# The durable demo on the embedded default (installs what it needs on first run).
source "$(dirname "$0")/_env.sh"
exec .venv/bin/graphcompat demo "$@"
