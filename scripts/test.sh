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
# Arguments (paths, -k, options): one pytest process, as given.
if [ $# -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
# The whole suite: PYTEST_SHARDS parts side by side (tests/shards.py: whole files each, a test
# database each), each line prefixed with its part. Options for every part: PYTEST_ADDOPTS.
shards=${PYTEST_SHARDS:-2}
began=$(date +%s)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
for k in $(seq 1 "$shards"); do
  ( set -o pipefail; .venv/bin/pytest --shard "$k/$shards" 2>&1 | sed -u "s|^|[$k/$shards] |" ) &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
echo "== pytest: $shards parts in $(( $(date +%s) - began )) s, $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
