#!/usr/bin/env bash
# Re-pin the dependencies after a change to pyproject.toml: runtime (requirements.lock, what the
# image installs) and development (requirements-dev.lock: runtime pins plus test and lint tools).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
"$UV" pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements-dev.lock
"$UV" pip compile pyproject.toml --python-version 3.11 -q -c requirements-dev.lock -o requirements.lock
echo "lock: requirements.lock (runtime) and requirements-dev.lock (development) written"
