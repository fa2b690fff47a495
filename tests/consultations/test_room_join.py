"""Joining the live room in one database call (issue 18): who may join, how many queries,
and how arrivals are gathered into one presence message."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from consultations import presence, selectors
from consultations.consumers import FORBIDDEN, MeetingRoomConsumer
from consultations.services import conclusion as conclusion_services
from consultations.services import room as room_services
from consultations.services.room import RoomEntry
from portal.consumers import UNAUTHENTICATED
from portal.ws_auth import DeferredAuthMiddleware


@pytest.fixture
def cast(make_person, make_meeting, jx, nm, jx_chair):
    """A JX meeting and a joint JX+NM one; the JX meeting's recorder and one participant have
    left the bureau since (revoked), so only their place in the meeting lets them in."""
    people = {
        "chair": jx_chair,
        "recorder": make_person("recorder_gone", (jx, "forecaster")),
        "participant": make_person("participant_gone", (jx, "expert", "fluid")),
        "jx_viewer": make_person("a_jx_viewer", (jx, "viewer")),
        "jx_reporter": make_person("a_jx_reporter", (jx, "reporter")),
        "nm_viewer": make_person("an_nm_viewer", (nm, "viewer")),
        "revoked": make_person("revoked_jx", (jx, "forecaster")),
        "inactive": make_person("inactive_jx", (jx, "forecaster"), is_active=False),
        "superuser": make_person("a_superuser", superuser=True),
        "outsider": make_person("nobody_here"),
    }
    own = make_meeting(jx_chair, recorder=people["recorder"], participants=[people["participant"]])
    joint = make_meeting(jx_chair, kind="special_topic", joint=[nm], title="联合会商")
    for who in ("recorder", "participant", "revoked"):
        people[who].memberships.update(revoked_at=timezone.now())
    return people, own, joint


JOINS = {
    # who: (joins the JX meeting, joins the joint JX+NM meeting)
    "chair": (True, True),
    "recorder": (True, False),
    "participant": (True, False),
    "jx_viewer": (True, True),
    "jx_reporter": (True, True),
    "nm_viewer": (False, True),
    "revoked": (False, False),
    "inactive": (False, False),
    "superuser": (True, True),
    "outsider": (False, False),
}


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(JOINS))
def test_who_may_join_the_room_is_decided_in_one_query(cast, who):
    people, own, joint = cast
    for meeting, expected in zip((own, joint), JOINS[who], strict=True):
        with CaptureQueriesContext(connection) as queries:
            found = selectors.meeting_for_room(user=people[who], meeting_id=meeting.pk)
        assert (found is not None) == expected, (who, meeting.title)
        assert len(queries) == 1


@pytest.mark.django_db
def test_a_missing_meeting_is_refused(jx_viewer):
    assert selectors.meeting_for_room(user=jx_viewer, meeting_id=10**9) is None


@pytest.mark.django_db
def test_the_join_is_three_queries_and_a_fourth_for_the_catch_up(jx_meeting, jx_chair, jx_viewer, as_actor):
    with CaptureQueriesContext(connection) as queries:
        entry = room_services.room_enter(
            user=jx_viewer, meeting_id=jx_meeting.pk, channel_name="c1", since=0, limit=500
        )
    assert entry is not None
    # the meeting with the right to join, who is present, the presence row; no events yet: no read
    assert len(queries) == 3, [q["sql"] for q in queries]
    assert (entry.first, entry.missed) == (True, [])
    assert entry.present == [{"id": jx_viewer.pk, "name": jx_viewer.label}]

    chair = as_actor(jx_chair)
    conclusion_services.comment_add(actor=chair, meeting=jx_meeting, text="一")
    conclusion_services.comment_add(actor=chair, meeting=jx_meeting, text="二")
    with CaptureQueriesContext(connection) as queries:
        entry = room_services.room_enter(
            user=jx_chair, meeting_id=jx_meeting.pk, channel_name="c2", since=1, limit=500
        )
    assert entry is not None
    assert len(queries) == 4
    assert [(m["seq"], m["payload"]["text"]) for m in entry.missed] == [(2, "二")]
    assert entry.first
    assert sorted(p["id"] for p in entry.present) == sorted([jx_viewer.pk, jx_chair.pk])

    # a second socket of a present person: not news; without since, no catch-up
    with CaptureQueriesContext(connection) as queries:
        entry = room_services.room_enter(
            user=jx_viewer, meeting_id=jx_meeting.pk, channel_name="c3", since=None, limit=500
        )
    assert entry is not None
    assert len(queries) == 3
    assert (entry.first, entry.missed) == (False, [])
    assert len(entry.present) == 2
    assert room_services.room_leave(meeting=jx_meeting, channel_name="c3") is None  # still in c1
    assert room_services.room_leave(meeting=jx_meeting, channel_name="c1") == jx_viewer.pk


def _socket_scope(user) -> dict:
    """A websocket scope as the portal's middleware leaves it: the session and a lazy person."""
    session_key = None
    if user is not None:
        client = Client()
        client.force_login(user)
        session_key = client.cookies["sessionid"].value
    scope: dict = {"session": SessionStore(session_key)}
    DeferredAuthMiddleware(None).populate_scope(scope)
    return scope


@pytest.mark.django_db
def test_the_consumers_one_call_reads_the_person_too(jx_meeting, jx_viewer, outsider):
    consumer = MeetingRoomConsumer()
    consumer.channel_name = "specific.test!1"
    consumer.scope = _socket_scope(jx_viewer)
    assert isinstance(consumer.scope["user"], SimpleLazyObject)
    with CaptureQueriesContext(connection) as queries:
        entry = consumer._enter(jx_meeting.pk, 0)
    assert isinstance(entry, RoomEntry)
    # the person (the session itself comes from the cache), then the three of the join
    assert len(queries) == 4, [q["sql"] for q in queries]

    consumer.scope = _socket_scope(outsider)
    assert consumer._enter(jx_meeting.pk, 0) == FORBIDDEN
    consumer.scope = _socket_scope(None)
    assert consumer._enter(jx_meeting.pk, 0) == UNAUTHENTICATED


async def test_a_windows_changes_go_as_one_message():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = "bureau.0.meeting.presence-test"
    await layer.group_add(group, channel)
    batcher = presence.PresenceBatcher()
    batcher.arrived(group, 1, "甲")
    batcher.arrived(group, 2, "乙")
    batcher.left(group, 3)
    batcher.arrived(group, 4, "丁")
    batcher.left(group, 4)  # came and went within the window: gone
    batcher.left(group, 5)
    batcher.arrived(group, 5, "戊")  # went and came back: here
    message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert message["event"] == {
        "kind": "presence",
        "joined": [{"id": 1, "name": "甲"}, {"id": 2, "name": "乙"}, {"id": 5, "name": "戊"}],
        "left": [3, 4],
    }
    # the next change opens a new window
    batcher.left(group, 1)
    message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert message["event"] == {"kind": "presence", "joined": [], "left": [1]}
    await layer.group_discard(group, channel)


async def test_a_presence_message_that_could_not_be_sent_goes_with_the_next_window(monkeypatch):
    """A failed send (e.g. the channel layer's connections all busy) is not lost: its changes
    go again with the next window, behind whatever changed since."""
    sent: list[dict] = []

    class FlakyLayer:
        failures = 1

        async def group_send(self, group, message):
            if self.failures:
                self.failures -= 1
                batcher.left(group, 2)  # meanwhile, the second person leaves again
                raise ConnectionError("Too many connections")
            sent.append(message["event"])

    layer = FlakyLayer()
    monkeypatch.setattr(presence, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(presence, "WINDOW", 0.01)
    batcher = presence.PresenceBatcher()
    batcher.arrived("room", 1, "甲")
    batcher.arrived("room", 2, "乙")
    for _ in range(100):
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent == [{"kind": "presence", "joined": [{"id": 1, "name": "甲"}], "left": [2]}]
