"""The live meeting room over Channels' Redis layer: two clients, catch-up, refusals."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from consultations.services import conclusion as conclusion_services
from consultations.services import opinions as opinion_services

pytestmark = [pytest.mark.django_db(transaction=True)]


def _cookie(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
    ]


async def _connect(
    user, meeting_id: int, query: str = ""
) -> tuple[WebsocketCommunicator, bool, int | str | None]:
    from portal.asgi import application

    headers = await sync_to_async(_cookie)(user) if user is not None else [(b"origin", b"http://127.0.0.1")]
    communicator = WebsocketCommunicator(
        application, f"/ws/consultations/meetings/{meeting_id}/{query}", headers=headers
    )
    connected, detail = await communicator.connect(timeout=10)
    return communicator, connected, detail


async def _next(communicator: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    """The next message of ``kind``, skipping presence updates."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await communicator.receive_json_from(timeout=max(remaining, 0.01))
        if message["kind"] == kind:
            return message


async def _hello(communicator: WebsocketCommunicator, since: int) -> list[dict]:
    await communicator.send_json_to({"type": "hello", "since": since})
    replayed = []
    while True:
        message = await _next_any(communicator)
        if message["kind"] == "caught_up":
            return replayed
        if message["kind"] == "room":
            replayed.append(message)


async def _next_any(communicator: WebsocketCommunicator) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["kind"] != "presence":
            return message


async def test_two_clients_see_each_others_changes_live(jx_meeting, jx_chair, jx_expert, as_actor):
    chair, chair_ok, _ = await _connect(jx_chair, jx_meeting.pk)
    expert, expert_ok, _ = await _connect(jx_expert, jx_meeting.pk)
    assert (chair_ok, expert_ok) == (True, True)
    await _next(chair, "welcome")
    welcome = await _next(expert, "welcome")
    assert {p["name"] for p in welcome["present"]} >= {jx_expert.label}
    assert await _hello(chair, 0) == []
    assert await _hello(expert, 0) == []

    # when the expert submits an opinion and the chair edits the conclusion
    await sync_to_async(opinion_services.opinion_submit)(
        actor=await sync_to_async(as_actor)(jx_expert),
        meeting=jx_meeting,
        discipline="fluid",
        summary="九江水温异常持续",
    )
    await sync_to_async(conclusion_services.conclusion_edit)(
        actor=await sync_to_async(as_actor)(jx_chair), meeting=jx_meeting, text="草稿：赣北"
    )

    # then both clients receive both events, numbered in order
    for client in (chair, expert):
        opinion = await _next(client, "room")
        conclusion = await _next(client, "room")
        assert (opinion["seq"], opinion["type"], opinion["payload"]["summary"]) == (
            1,
            "opinion",
            "九江水温异常持续",
        )
        assert (conclusion["seq"], conclusion["type"], conclusion["payload"]["text"]) == (
            2,
            "conclusion",
            "草稿：赣北",
        )
    await chair.disconnect()
    await expert.disconnect()


async def test_reconnecting_client_catches_up_on_what_it_missed(jx_meeting, jx_chair, jx_viewer, as_actor):
    chair_actor = await sync_to_async(as_actor)(jx_chair)
    viewer, connected, _ = await _connect(jx_viewer, jx_meeting.pk)
    assert connected
    await _hello(viewer, 0)
    await sync_to_async(conclusion_services.conclusion_edit)(actor=chair_actor, meeting=jx_meeting, text="一")
    seen = (await _next(viewer, "room"))["seq"]
    await viewer.disconnect()

    # while the viewer is away
    await sync_to_async(conclusion_services.conclusion_edit)(
        actor=chair_actor, meeting=jx_meeting, text="一二"
    )
    await sync_to_async(conclusion_services.comment_add)(
        actor=chair_actor, meeting=jx_meeting, text="请各学科发言"
    )

    back, connected, _ = await _connect(jx_viewer, jx_meeting.pk)
    assert connected
    replayed = await _hello(back, seen)
    assert [(m["seq"], m["type"]) for m in replayed] == [(2, "conclusion"), (3, "comment")]
    assert replayed[0]["payload"]["text"] == "一二"
    assert replayed[1]["payload"]["text"] == "请各学科发言"
    await back.disconnect()


async def test_people_outside_the_meeting_are_refused(jx_meeting, nm_forecaster, cenc_forecaster, outsider):
    for user in (nm_forecaster, cenc_forecaster, outsider):
        _communicator, connected, code = await _connect(user, jx_meeting.pk)
        assert (connected, code) == (False, 4403)
    _communicator, connected, code = await _connect(None, jx_meeting.pk)
    assert (connected, code) == (False, 4401)


async def test_joint_bureau_people_may_join(make_meeting, jx_chair, nm, nm_viewer):
    meeting = await sync_to_async(make_meeting)(jx_chair, kind="special_topic", joint=[nm])
    communicator, connected, _ = await _connect(nm_viewer, meeting.pk)
    assert connected
    welcome = await _next(communicator, "welcome")
    assert welcome["meeting"] == meeting.pk
    await communicator.disconnect()


async def _joined_until(communicator: WebsocketCommunicator, user_id: int) -> dict:
    """Presence messages until one tells of ``user_id``'s arrival; that one."""
    while True:
        message = await _next(communicator, "presence")
        assert message["left"] == []
        if user_id in {p["id"] for p in message["joined"]}:
            return message


async def test_presence_is_pushed_when_people_come_and_go(jx_meeting, jx_chair, jx_viewer):
    chair, _, _ = await _connect(jx_chair, jx_meeting.pk)
    await _next(chair, "welcome")
    viewer, _, _ = await _connect(jx_viewer, jx_meeting.pk)
    welcome = await _next(viewer, "welcome")
    assert sorted(p["name"] for p in welcome["present"]) == sorted([jx_chair.label, jx_viewer.label])
    # (the chair's own arrival may come first, or in the same message)
    joined = await _joined_until(chair, jx_viewer.pk)
    assert {"id": jx_viewer.pk, "name": jx_viewer.label} in joined["joined"]
    # a second tab of the same person is not news: neither its opening nor its closing
    second_tab, _, _ = await _connect(jx_viewer, jx_meeting.pk)
    await _next(second_tab, "welcome")
    await second_tab.disconnect()
    await viewer.disconnect()
    left = await _next(chair, "presence")
    assert (left["joined"], left["left"]) == ([], [jx_viewer.pk])
    await chair.disconnect()


async def test_arrivals_of_a_moment_are_told_in_one_message(
    jx_meeting, jx_chair, jx_viewer, jx_expert, jx_forecaster, monkeypatch
):
    """Issue 18: one presence message per room and window, not one per arrival and member."""
    from consultations import presence

    monkeypatch.setattr(presence, "WINDOW", 1.0)  # wide enough for three joins on a busy machine
    chair, _, _ = await _connect(jx_chair, jx_meeting.pk)
    await _next(chair, "welcome")
    await _joined_until(chair, jx_chair.pk)  # the chair's own arrival: its window is over
    others = [jx_viewer, jx_expert, jx_forecaster]
    sockets = [(await _connect(user, jx_meeting.pk))[0] for user in others]
    message = await _next(chair, "presence")
    assert sorted(p["id"] for p in message["joined"]) == sorted(u.pk for u in others)
    assert {p["id"]: p["name"] for p in message["joined"]} == {u.pk: u.label for u in others}
    # the last to come had everyone in its welcome
    welcome = await _next(sockets[-1], "welcome")
    assert sorted(p["id"] for p in welcome["present"]) == sorted(u.pk for u in [jx_chair, *others])
    for communicator in [*sockets, chair]:
        await communicator.disconnect()


async def test_since_in_the_url_catches_up_without_a_hello(jx_meeting, jx_chair, jx_viewer, as_actor):
    chair_actor = await sync_to_async(as_actor)(jx_chair)
    for text in ("一", "二", "三"):
        await sync_to_async(conclusion_services.comment_add)(actor=chair_actor, meeting=jx_meeting, text=text)
    viewer, connected, _ = await _connect(jx_viewer, jx_meeting.pk, query="?since=1")
    assert connected
    assert (await _next_any(viewer))["kind"] == "welcome"
    replayed = [await _next_any(viewer), await _next_any(viewer)]
    assert [(m["seq"], m["payload"]["text"]) for m in replayed] == [(2, "二"), (3, "三")]
    assert await _next_any(viewer) == {"kind": "caught_up", "last_seq": 3}
    # nothing after: live events follow as before
    await sync_to_async(conclusion_services.comment_add)(actor=chair_actor, meeting=jx_meeting, text="四")
    live = await _next(viewer, "room")
    assert (live["seq"], live["payload"]["text"]) == (4, "四")
    await viewer.disconnect()
    # up to date already: caught up at once, the client's own number back
    again, _, _ = await _connect(jx_viewer, jx_meeting.pk, query="?since=4")
    await _next(again, "welcome")
    assert await _next_any(again) == {"kind": "caught_up", "last_seq": 4}
    await again.disconnect()


async def test_catch_up_comes_in_batches_and_misses_nothing(
    jx_meeting, jx_chair, jx_viewer, as_actor, monkeypatch
):
    from consultations import consumers

    monkeypatch.setattr(consumers, "CATCH_UP_BATCH", 2)
    chair_actor = await sync_to_async(as_actor)(jx_chair)
    for n in range(5):
        await sync_to_async(conclusion_services.comment_add)(
            actor=chair_actor, meeting=jx_meeting, text=f"第{n}条"
        )
    viewer, connected, _ = await _connect(jx_viewer, jx_meeting.pk)
    assert connected
    replayed = await _hello(viewer, 1)
    assert [(m["seq"], m["payload"]["text"]) for m in replayed] == [
        (2, "第1条"),
        (3, "第2条"),
        (4, "第3条"),
        (5, "第4条"),
    ]
    await viewer.disconnect()


async def test_malformed_frames_are_ignored(jx_meeting, jx_viewer):
    viewer, connected, _ = await _connect(jx_viewer, jx_meeting.pk)
    assert connected
    await _next(viewer, "welcome")
    await viewer.send_to(text_data="{not json")
    await viewer.send_json_to(["hello"])
    await viewer.send_json_to({"type": "hello", "since": "soon"})
    assert (await _next(viewer, "error"))["detail"] == "since must be a number"
    assert await _hello(viewer, 0) == []  # still connected and answering
    await viewer.disconnect()


async def test_join_threads_hand_their_connections_back(jx_meeting, jx_viewer, jx_chair):
    """The joins run on threads of their own (issue 18); each hands its pooled connection
    back after a join, also under Channels' test communicator, which turns off the closing
    that ``database_sync_to_async`` does (a thread that kept its connection drained the
    pool after a few tests)."""
    import threading

    from django.conf import settings
    from django.db import connection

    from consultations.consumers import _JOIN_THREADS

    sockets = []
    for user in (jx_viewer, jx_chair, jx_viewer):
        communicator, connected, _ = await _connect(user, jx_meeting.pk)
        assert connected
        await _next(communicator, "welcome")
        sockets.append(communicator)
    threads = settings.ROOM_JOIN_THREADS
    barrier = threading.Barrier(threads)

    def holds_a_connection() -> bool:
        barrier.wait(timeout=5)  # one call on each of the threads
        return connection.connection is not None

    loop = asyncio.get_running_loop()
    held = await asyncio.gather(
        *(loop.run_in_executor(_JOIN_THREADS, holds_a_connection) for _ in range(threads))
    )
    assert held == [False] * threads
    for communicator in sockets:
        await communicator.disconnect()
