#!/usr/bin/env bash
# Installs what the portal needs on Debian or Ubuntu, as root; safe to run again.
# apt: PostGIS for the running PostgreSQL (PostgreSQL itself where none is installed),
# GDAL, Redis where none runs, Chromium for the browser tests, CJK fonts for PDFs, nginx for
# bench/scale/.
# pip: requirements.txt into .venv. Then: services up, database and role, .env.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

export DEBIAN_FRONTEND=noninteractive
export PGOPTIONS='-c client_min_messages=warning'
APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$APT_UPDATED" = 0 ]; then log "apt-get update"; apt-get update -qq; APT_UPDATED=1; fi
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# PostgreSQL: use the server that is there; install Debian's default where there is none.
# Never name postgresql-NN itself when a cluster runs: that would upgrade it underneath.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then apt_install postgresql; fi
PG_MAJOR=$(ls /usr/lib/postgresql | sort -n | tail -1)
apt_install "postgresql-${PG_MAJOR}-postgis-3" "postgresql-${PG_MAJOR}-rum" gdal-bin libsqlite3-mod-spatialite \
  chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils python3-venv gettext make curl
# nginx in front of the daphnes of the scale-out benchmarks (bench/scale/); they start their own
apt_install nginx  # the package every Debian and Ubuntu release has (nginx-light is nginx plus a module on Debian 12)
command -v redis-server >/dev/null || apt_install redis-server

# Services (no systemd here: start them the way the machine's own scripts do).
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL ${PG_MAJOR}"
  pg_ctlcluster --skip-systemctl-redirect "${PG_MAJOR}" main start || true
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.25; done
fi

# Local configuration: generated once, never committed.
if [ ! -f .env ]; then
  log "writing .env (generated secret and database password)"
  secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
  dbpass=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  cat > .env <<ENV
DJANGO_SECRET_KEY=${secret}
DATABASE_URL=postgis://ispec:${dbpass}@127.0.0.1:5432/ispec
REDIS_URL=redis://127.0.0.1:6379
ENV
  chmod 600 .env
fi
DB_PASSWORD=$(sed -n 's#^DATABASE_URL=postgis://ispec:\([^@]*\)@.*#\1#p' .env)

# Database: a login role that may create the test database; PostGIS and RUM (the search's
# date-ordered index) in template1 so every new database (the test one too) has them
# without superuser rights, and RUM in a portal database made before it was needed.
psql_admin() {
  if su postgres -s /bin/sh -c "psql -X -q -v ON_ERROR_STOP=1 -d template1 -c 'select 1'" >/dev/null 2>&1; then
    su postgres -s /bin/sh -c "psql -X -q -v ON_ERROR_STOP=1 $*"
  else
    eval "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres $*"
  fi
}
psql_admin "-d template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis'"
psql_admin "-d template1 -c 'CREATE EXTENSION IF NOT EXISTS rum'"
if [ -n "$DB_PASSWORD" ]; then
  psql_admin "-d postgres -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='ispec') THEN CREATE ROLE ispec LOGIN CREATEDB; END IF; ALTER ROLE ispec PASSWORD '${DB_PASSWORD}'; END\\\$\\\$\""
  psql_admin "-d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='ispec'\"" | grep -q 1 \
    || psql_admin "-d postgres -c 'CREATE DATABASE ispec OWNER ispec'"
  psql_admin "-d ispec -c 'CREATE EXTENSION IF NOT EXISTS rum'"
fi

# Python: a venv beside the code; reinstall only when requirements.txt changed.
if [ ! -x .venv/bin/python ]; then log "creating .venv"; python3 -m venv .venv; fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install -r requirements.txt"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi
log "ready"
