#!/usr/bin/env bash
# The whole suite: lint and types, then pytest against PostGIS, Redis, a real Celery worker and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; [ -f .env ] && . ./.env; set +a
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"  # services and selectors, typed ([tool.mypy] in pyproject.toml; needs the settings above)
.venv/bin/mypy
echo "== compilemessages"
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv
echo "== pytest"
exec .venv/bin/pytest "$@"
