#!/usr/bin/env bash
# Brings the whole portal up: migrate, demo data, then web+websockets (daphne),
# a Celery worker and Celery beat in the background. Safe to run again: it
# stops what an earlier run started first.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
HOST=${HOST:-0.0.0.0}
mkdir -p var/run var/log
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-portal.settings.local}
PY=.venv/bin/python

stop() {
  local name=$1 pidfile=var/run/$1.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
for p in web worker beat; do stop $p; done

$PY manage.py migrate --noinput -v0
$PY manage.py compilemessages -v0 --ignore=.venv
$PY manage.py seed_demo

nohup .venv/bin/daphne -b "$HOST" -p "$PORT" portal.asgi:application > var/log/web.log 2>&1 &
echo $! > var/run/web.pid
nohup .venv/bin/celery -A portal worker -l info -c 2 > var/log/worker.log 2>&1 &
echo $! > var/run/worker.pid
nohup .venv/bin/celery -A portal beat -l info --pidfile= > var/log/beat.log 2>&1 &
echo $! > var/run/beat.pid

for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:${PORT}/login/" && break; sleep 0.5; done
health=$(curl -s "http://127.0.0.1:${PORT}/healthz" || true)
for _ in $(seq 1 20); do echo "$health" | grep -q '"status": "ok"' && break; sleep 1; health=$(curl -s "http://127.0.0.1:${PORT}/healthz" || true); done
PASSWORD=$($PY manage.py shell --no-imports -c 'from portal.demo import demo_password; print(demo_password())')
cat <<TXT

  ISPEC portal is up:   http://127.0.0.1:${PORT}/     (listening on ${HOST}:${PORT})
  API docs:             http://127.0.0.1:${PORT}/api/docs/
  Health:               ${health}
  Logs:                 var/log/{web,worker,beat}.log      Stop: make stop

  Demo logins (password for all: ${PASSWORD})
    admin                          system administrator
    jx_admin, nm_admin, cenc_admin bureau administrators (江西, 内蒙古, 台网中心)
    jx_reporter, nm_reporter       reporters (填报员)
    jx_expert_seis, jx_expert_fluid, jx_expert_deform, jx_expert_em   discipline experts (also nm_*, cenc_*)
    jx_forecaster, nm_forecaster, cenc_forecaster                     forecasters
    jx_chair, nm_chair, cenc_chair chairs        jx_approver, nm_approver, cenc_approver  approvers
    jx_viewer, nm_viewer, cenc_viewer viewers    zone_forecaster  forecaster in JX and viewer in NM (bureau switcher)
    jx_steward, nm_steward, cenc_steward  data stewards (sharing levels, data requests, pushes)
TXT
