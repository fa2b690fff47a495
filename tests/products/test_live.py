"""The engine with real parts: a Celery worker, Channels over Redis, Chromium."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore

from products.models import ProductRun
from products.services import execution as execution_services
from products.services import runs as run_services


def session_cookie(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


async def _connect(user, path):
    headers = [(b"origin", b"http://localhost"), (b"cookie", await sync_to_async(session_cookie)(user))]
    from portal.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.mark.worker
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_bvalue_run_through_api_real_worker_and_websocket(
    real_celery, api, jx, jx_forecaster, nm_forecaster, make_events
):
    # given: a catalog, a forecaster's socket on the bureau's product group, and NM's
    await sync_to_async(make_events)(jx, 2000)
    socket, connected, _ = await _connect(jx_forecaster, "/ws/products/")
    assert connected
    outsider, outsider_connected, _ = await _connect(nm_forecaster, "/ws/products/")
    assert outsider_connected
    client = await sync_to_async(api)(jx_forecaster)
    # when: a bvalue run is posted through the API and the real worker computes it
    response = await sync_to_async(client.post)(
        "/api/v1/products/",
        {"method": "bvalue", "params": {}, "catalog": {"jurisdiction": True}},
        format="json",
    )
    assert response.status_code == 202
    run_id = response.json()["id"]
    detail = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        detail = (await sync_to_async(client.get)(f"/api/v1/products/{run_id}/")).json()
        if detail["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.5)
    # then: it succeeded, its figures exist, and the socket saw the progress to 100
    assert detail["status"] == "succeeded", detail
    run = await sync_to_async(ProductRun.objects.get)(pk=run_id)
    for name in run.figures:
        assert (execution_services.run_directory(jx.pk, run_id) / name).stat().st_size > 1000
    events = []
    # receive_nothing waits without cancelling the consumer (a timed-out receive would)
    while not await socket.receive_nothing(timeout=2):
        events.append(await socket.receive_json_from(timeout=5))
    mine = [(e["status"], e["progress"]) for e in events if e.get("id") == run_id]
    assert mine[0] == ("queued", 0)
    assert ("running", 25) in mine
    assert mine[-1] == ("succeeded", 100)
    assert [p for _, p in mine] == sorted(p for _, p in mine)
    assert await outsider.receive_nothing(timeout=0.5)  # NM's socket heard nothing of JX's run
    await socket.disconnect()
    await outsider.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_run_socket_refuses_other_bureaus_and_greets_with_state(
    jx, jx_forecaster, nm_forecaster, as_actor
):
    run = await sync_to_async(run_services.run_create)(
        actor=as_actor(jx_forecaster), method="bvalue", catalog={"jurisdiction": True}, enqueue=False
    )
    socket, connected, _ = await _connect(jx_forecaster, f"/ws/products/{run.pk}/")
    assert connected
    hello = await socket.receive_json_from(timeout=5)
    assert (hello["id"], hello["status"], hello["progress"]) == (run.pk, "queued", 0)
    await socket.disconnect()
    _, connected, code = await _connect(nm_forecaster, f"/ws/products/{run.pk}/")
    assert (connected, code) == (False, 4403)


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_product_page_shows_progress_reaching_100_and_the_figure(
    real_celery, browser_login, jx, jx_forecaster, as_actor, make_events
):
    make_events(jx, 3000)
    page = browser_login(jx_forecaster, phone=True)  # 390 px wide
    run = run_services.run_create(
        actor=as_actor(jx_forecaster),
        method="bvalue_series",
        params={"window": 300, "step": 50},
        catalog={"jurisdiction": True},
    )
    page.goto(f"/products/runs/{run.pk}/")
    page.wait_for_selector('#run-progress[aria-valuenow="100"]', timeout=60000)
    page.wait_for_selector("#run-figure img", timeout=30000)
    assert page.eval_on_selector("#run-figure img", "img => img.complete && img.naturalWidth > 100")
    assert page.get_attribute("#series-chart", "data-chart-ready") == "1"
