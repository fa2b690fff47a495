"""/ws/events/ and /ws/catalog/ over the Redis channel layer: who hears which events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore

from catalog.consumers import EVENT_STREAM, event_stream_text
from catalog.services.events import PUBLIC_GROUP, event_feature, events_group
from catalog.services.quick_reports import QuickReportRejected, quick_report_submit
from portal.asgi import application
from portal.tenancy import actor_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

FORMAL = (
    "中国地震台网正式测定：2024-03-05 06:18:07在江西九江市修水县发生4.2级地震，"
    "震中纬度29.00，经度114.50，震源深度10km。"
)
AUTOMATIC = (
    "中国地震台网自动测定：2024-03-06 01:02:03在江西赣州市发生3.9级左右地震，震中纬度25.80，经度115.00。"
)


def session_cookie(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


async def connect(user=None, path="/ws/events/"):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


#: Both texts arrived within a day of their quakes (a report may lag 30 days at most).
RECEIVED = datetime(2024, 3, 6, 2, 0, tzinfo=UTC)


def post(user, text: str):
    return quick_report_submit(actor=actor_for(user), text=text, received_at=RECEIVED).event


async def test_anonymous_hears_published_events_as_geojson(jx_forecaster):
    listener, connected, _ = await connect(None)
    assert connected
    event = await sync_to_async(post)(jx_forecaster, FORMAL)
    message = await listener.receive_json_from(timeout=5)
    assert message["action"] == "create"
    feature = message["data"]
    assert (feature["type"], feature["id"]) == ("Feature", event.public_id)
    assert feature["geometry"]["coordinates"] == [114.5, 29.0, 10.0]
    assert feature["properties"]["mag"] == 4.2
    await listener.disconnect()


async def test_unpublished_events_reach_only_their_bureau_once(jx_forecaster, jx_viewer, nm_forecaster):
    anonymous, _, _ = await connect(None)
    stranger, _, _ = await connect(nm_forecaster)
    member, _, _ = await connect(jx_viewer)
    automatic = await sync_to_async(post)(jx_forecaster, AUTOMATIC)
    heard = await member.receive_json_from(timeout=5)
    assert (heard["action"], heard["data"]["id"]) == ("create", automatic.public_id)
    assert await anonymous.receive_nothing(timeout=0.5)
    assert await stranger.receive_nothing(timeout=0.5)
    # a published event of one's own bureau comes on two groups but is sent once
    formal = await sync_to_async(post)(jx_forecaster, FORMAL)
    assert (await member.receive_json_from(timeout=5))["data"]["id"] == formal.public_id
    assert await member.receive_nothing(timeout=0.5)
    assert (await stranger.receive_json_from(timeout=5))["data"]["id"] == formal.public_id
    for communicator in (anonymous, stranger, member):
        await communicator.disconnect()


async def test_catalog_page_socket_is_for_bureau_people_only(jx_forecaster, outsider):
    _, connected, code = await connect(None, "/ws/catalog/")
    assert (connected, code) == (False, 4401)
    _, connected, code = await connect(outsider, "/ws/catalog/")
    assert (connected, code) == (False, 4403)
    page, connected, _ = await connect(jx_forecaster, "/ws/catalog/")
    assert connected
    with pytest.raises(QuickReportRejected):
        await sync_to_async(post)(jx_forecaster, "乱码短信")
    message = await page.receive_json_from(timeout=5)
    assert (message["kind"], message["status"]) == ("catalog.inbox", "failed")
    await page.disconnect()


async def group_members(group: str) -> list[str]:
    """The group's members that are this process's channels. Another process's stay in Redis
    until the group expires when it was killed without leaving (the live server of a browser
    test run before): they are not this process's to count."""
    layer = get_channel_layer()
    connection = layer.connection(layer.consistent_hash(group))
    mine = layer.client_prefix  # "specific.<this process's layer>!"
    members = [m.decode() for m in await connection.zrange(layer._group_key(group), 0, -1)]
    return [m for m in members if m.startswith(f"specific.{mine}!")]


async def test_many_sockets_are_one_member_per_process_and_each_hears_once(
    jx, jx_forecaster, jx_viewer, nm_forecaster
):
    """The stream's sockets of a process share one channel per group (portal.fanout): the
    groups hold one member whatever the number of sockets, each socket hears what its person
    may read, once, and the process leaves the groups with its last socket."""
    anonymous = [(await connect(None))[0] for _ in range(3)]
    members = [(await connect(jx_viewer))[0] for _ in range(2)]
    stranger, _, _ = await connect(nm_forecaster)
    jx_group = events_group(jx.pk)
    assert await group_members(PUBLIC_GROUP) == [EVENT_STREAM.local_groups()[PUBLIC_GROUP]]
    assert await group_members(jx_group) == [EVENT_STREAM.local_groups()[jx_group]]
    assert EVENT_STREAM.local_sockets() == 6

    automatic = await sync_to_async(post)(jx_forecaster, AUTOMATIC)
    for member in members:
        assert (await member.receive_json_from(timeout=5))["data"]["id"] == automatic.public_id
    formal = await sync_to_async(post)(jx_forecaster, FORMAL)
    for listener in [*anonymous, *members, stranger]:
        assert (await listener.receive_json_from(timeout=5))["data"]["id"] == formal.public_id
    for listener in [*anonymous, *members, stranger]:
        assert await listener.receive_nothing(timeout=0.3)

    for listener in [*anonymous, *members, stranger]:
        await listener.disconnect()
    assert EVENT_STREAM.local_sockets() == 0
    assert await group_members(PUBLIC_GROUP) == []
    assert await group_members(jx_group) == []


async def test_the_text_written_is_what_send_json_wrote_per_socket(jx_forecaster):
    """Golden: one rendering per process is the frame the consumer's own ``send_json`` of
    ``{"action", "data"}`` made for each socket before (same JSON, same key order)."""
    listener, _, _ = await connect(None)
    event = await sync_to_async(post)(jx_forecaster, FORMAL)
    raw = await listener.receive_from(timeout=5)
    layer = get_channel_layer()
    message = {
        "type": "portal.event",
        "event": {
            "kind": "catalog.event",
            "action": "create",
            "data": await sync_to_async(event_feature)(event),
        },
    }
    message = layer.deserialize(layer.serialize(message))  # as the channel layer hands it over
    before = await AsyncJsonWebsocketConsumer.encode_json(
        {"action": message["event"]["action"], "data": message["event"]["data"]}
    )
    key, text = event_stream_text(message)
    assert text == before
    assert json.loads(raw) == json.loads(before)
    assert key == (event.public_id, "create", message["event"]["data"]["properties"]["updated"])
    assert event_stream_text({"type": "portal.event", "event": {"kind": "catalog.inbox"}}) is None
    await listener.disconnect()
