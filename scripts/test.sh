#!/usr/bin/env bash
# The test command: set-up, local services, lint, type check, then the whole suite against a real
# (embedded) Postgres and the real RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/services.sh
echo "test: ruff"
.venv/bin/ruff check .
echo "test: mypy"
.venv/bin/mypy comptoir libs services tests bench
echo "test: import contracts"
.venv/bin/lint-imports --no-cache
echo "test: pytest"
exec .venv/bin/pytest "$@"
