"""/healthz reports the database, Redis and a Celery worker."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_healthy_when_database_redis_and_a_worker_answer(client, celery_worker_process):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["detail"].startswith("PostGIS")
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["celery"]["ok"] is True


def test_unavailable_when_redis_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert "Connection" in body["checks"]["redis"]["detail"]
    assert body["checks"]["celery"] == {"ok": False, "detail": "redis is down"}
