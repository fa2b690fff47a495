"""/ws/notifications/ over the Redis channel layer: people and bureaus get their notices."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore

from portal.asgi import application
from portal.services import notify_bureau, notify_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


async def connect(user=None, path="/ws/notifications/"):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_channel_layer_is_redis():
    from channels.layers import get_channel_layer

    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"


async def test_anonymous_connection_is_refused():
    _communicator, connected, code = await connect(None)
    assert connected is False
    assert code == 4401


async def test_person_receives_own_notification_and_unread_count(jx_viewer):
    communicator, connected, _ = await connect(jx_viewer)
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"kind": "hello", "unread": 0}
    await sync_to_async(notify_user)(user=jx_viewer, title="核实任务", url="/x/")
    event = await communicator.receive_json_from(timeout=5)
    assert (event["kind"], event["title"], event["url"]) == ("notification", "核实任务", "/x/")
    await communicator.disconnect()


async def test_notification_to_one_person_does_not_reach_another(jx_viewer, jx_admin):
    viewer, _, _ = await connect(jx_viewer)
    admin, _, _ = await connect(jx_admin)
    await viewer.receive_json_from(timeout=5)
    await admin.receive_json_from(timeout=5)
    await sync_to_async(notify_user)(user=jx_viewer, title="only for the viewer")
    assert (await viewer.receive_json_from(timeout=5))["title"] == "only for the viewer"
    assert await admin.receive_nothing(timeout=0.5)
    await viewer.disconnect()
    await admin.disconnect()


async def test_bureau_notice_reaches_its_members_only(jx, jx_viewer, jx_admin, nm_forecaster):
    members = [(await connect(u))[0] for u in (jx_viewer, jx_admin)]
    stranger, _, _ = await connect(nm_forecaster)
    for communicator in [*members, stranger]:
        await communicator.receive_json_from(timeout=5)
    reached = await sync_to_async(notify_bureau)(bureau=jx, title="江西宜春M4.1 紧急会商", level="urgent")
    assert reached == 2
    for communicator in members:
        event = await communicator.receive_json_from(timeout=5)
        assert (event["title"], event["level"], event["bureau"]) == ("江西宜春M4.1 紧急会商", "urgent", "JX")
    assert await stranger.receive_nothing(timeout=0.5)
    for communicator in [*members, stranger]:
        await communicator.disconnect()


async def test_notice_for_some_roles_skips_the_others(jx, jx_viewer, jx_admin):
    viewer, _, _ = await connect(jx_viewer)
    admin, _, _ = await connect(jx_admin)
    await viewer.receive_json_from(timeout=5)
    await admin.receive_json_from(timeout=5)
    await sync_to_async(notify_bureau)(bureau=jx, title="for admins", roles=["bureau_admin"])
    assert (await admin.receive_json_from(timeout=5))["title"] == "for admins"
    assert await viewer.receive_nothing(timeout=0.5)
    await asyncio.gather(viewer.disconnect(), admin.disconnect())


async def test_deactivated_person_is_refused(jx_viewer):
    jx_viewer.is_active = False
    await sync_to_async(jx_viewer.save)()
    _, connected, _ = await connect(jx_viewer)
    assert connected is False
