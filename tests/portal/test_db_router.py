"""The read replica's router (portal/db_router.py): which reads go to the replica, which stay
on the primary, and the read-your-writes cookie.

The ``replica`` alias of the test settings mirrors the test database (``TEST: MIRROR``): it is
another connection to the same database, so a query shows on the alias it was sent to.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from catalog.models import Event
from portal import db_router
from portal.db_router import PRIMARY, REPLICA, STICKY_COOKIE, PrimaryReplicaRouter, ReplicaRoutingMiddleware
from portal.models import Bureau
from tests.catalog.test_fdsn import add

ROUTED = {
    "DATABASE_ROUTERS": ["portal.db_router.PrimaryReplicaRouter"],
    "MIDDLEWARE": ["portal.db_router.ReplicaRoutingMiddleware", *settings.MIDDLEWARE],
}


@pytest.fixture(autouse=True)
def _forget_route():
    yield
    db_router.end_request()


def test_no_request_reads_the_primary():
    # Celery tasks, management commands, websockets: never marked, never the replica
    assert PrimaryReplicaRouter().db_for_read(Event) == PRIMARY


def test_a_marked_request_reads_the_replica_and_writes_the_primary():
    router = PrimaryReplicaRouter()
    db_router.begin_request(replica_ok=True)
    assert router.db_for_read(Event) == REPLICA
    assert router.db_for_write(Event) == PRIMARY
    # after its first write the request reads what it wrote
    assert router.db_for_read(Event) == PRIMARY


def test_an_unmarked_request_reads_the_primary():
    db_router.begin_request(replica_ok=False)
    assert PrimaryReplicaRouter().db_for_read(Event) == PRIMARY


@pytest.mark.django_db
def test_reads_inside_a_transaction_are_the_primarys():
    router = PrimaryReplicaRouter()
    db_router.begin_request(replica_ok=True)
    # pytest-django's test transaction is itself an atomic block on the primary
    assert connections[PRIMARY].in_atomic_block
    assert router.db_for_read(Event) == PRIMARY


@pytest.mark.django_db(transaction=True)
def test_reads_outside_and_inside_atomic():
    router = PrimaryReplicaRouter()
    db_router.begin_request(replica_ok=True)
    assert router.db_for_read(Event) == REPLICA
    with transaction.atomic():
        assert router.db_for_read(Event) == PRIMARY
    assert router.db_for_read(Event) == REPLICA


def test_related_reads_follow_the_instance():
    db_router.begin_request(replica_ok=True)
    bureau = Bureau(code="X")
    bureau._state.db = PRIMARY
    assert PrimaryReplicaRouter().db_for_read(Event, instance=bureau) == PRIMARY


def test_only_the_primary_is_migrated():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate(PRIMARY, "catalog") is True
    assert router.allow_migrate(REPLICA, "catalog") is False


@override_settings(DATABASE_REPLICA_PATHS=["/fdsnws/", "/reports/"], DATABASE_REPLICA_STICKY_SECONDS=10)
def test_the_middleware_marks_safe_reads_of_replica_paths_and_sets_the_cookie_after_a_write():
    factory = RequestFactory()
    seen: list[bool] = []

    def view(request):
        from django.http import HttpResponse

        state = db_router.route_state()
        seen.append(bool(state and state.replica_ok))
        return HttpResponse("ok")

    middleware = ReplicaRoutingMiddleware(view)
    response = middleware(factory.get("/fdsnws/event/1/query"))
    assert seen[-1] is True
    assert STICKY_COOKIE not in response.cookies
    middleware(factory.get("/reports/"))
    assert seen[-1] is True
    middleware(factory.get("/catalog/"))  # not a replica path
    assert seen[-1] is False
    middleware(factory.post("/fdsnws/event/1/query"))  # not a safe method
    assert seen[-1] is False

    response = middleware(factory.post("/reports/topic/1/rebuild/"))
    cookie = response.cookies[STICKY_COOKIE]
    assert cookie["max-age"] == 10
    assert cookie["httponly"]
    until = float(cookie.value)
    assert time.time() + 5 < until <= time.time() + 11

    # the same person's reads go to the primary while the cookie lasts, the replica after
    request = factory.get("/reports/")
    request.COOKIES[STICKY_COOKIE] = cookie.value
    middleware(request)
    assert seen[-1] is False
    request = factory.get("/reports/")
    request.COOKIES[STICKY_COOKIE] = f"{time.time() - 1:.0f}"
    middleware(request)
    assert seen[-1] is True
    request = factory.get("/reports/")
    request.COOKIES[STICKY_COOKIE] = "not a number"
    middleware(request)
    assert seen[-1] is True


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_fdsn_reads_go_to_the_replica_and_pages_to_the_primary(client, jx, jx_forecaster):
    event = add(jx, mag=4.0)
    with override_settings(**ROUTED):
        with (
            CaptureQueriesContext(connections[REPLICA]) as on_replica,
            CaptureQueriesContext(connections[PRIMARY]) as on_primary,
        ):
            response = client.get("/fdsnws/event/1/query", {"format": "text"})
            body = b"".join(response.streaming_content)
        assert response.status_code == 200
        assert event.public_id.encode() in body
        assert any("catalog_event" in q["sql"] for q in on_replica.captured_queries)
        assert not any("catalog_event" in q["sql"] for q in on_primary.captured_queries)

        # a signed-in person's page that is not a report read stays on the primary
        client.force_login(jx_forecaster)
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            client.get("/catalog/")
        assert on_replica.captured_queries == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_after_a_write_the_persons_report_reads_stay_on_the_primary(client, jx_forecaster):
    client.force_login(jx_forecaster)
    with override_settings(**ROUTED):
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert client.get("/reports/").status_code == 200
        assert on_replica.captured_queries  # the report list read the replica
        client.post("/i18n/setlang/", {"language": "en"})  # any write sets the cookie
        assert STICKY_COOKIE in client.cookies
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert client.get("/reports/").status_code == 200
        assert on_replica.captured_queries == []
