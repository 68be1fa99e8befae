# Sourced by the scripts: make ./.venv with graphcompat and its test extras installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv and installing graphcompat (first run only)..." >&2
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import graphcompat, pytest, pytest_asyncio, pytest_timeout" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[test]' >&2
  touch .venv/.installed
fi
