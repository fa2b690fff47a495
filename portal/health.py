"""``/healthz``: database, Redis and a Celery worker, each answered or not."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from .celery import app as celery_app


def _timed(check: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure, whatever it is
        detail, ok = f"{exc.__class__.__name__}: {exc}", False
    result = {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1)}
    if detail:
        result["detail"] = detail
    return result


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version()")
        return f"PostGIS {cursor.fetchone()[0]}"


def _redis() -> str:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return ""


def _celery() -> str:
    # limit=1: the first worker that answers is enough; do not wait out the timeout
    replies = celery_app.control.ping(timeout=float(getattr(settings, "HEALTH_CELERY_TIMEOUT", 1.5)), limit=1)
    if not replies:
        raise RuntimeError("no Celery worker answered the ping")
    return ", ".join(sorted(name for reply in replies for name in reply))


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _timed(_database), "redis": _timed(_redis)}
    checks["celery"] = _timed(_celery) if checks["redis"]["ok"] else {"ok": False, "detail": "redis is down"}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
