"""The portal's ASGI handler (portal/asgi_handler.py): each request's synchronous part on one
thread of its own, kept for the next request; a streamed answer read a piece at a time on that
thread and stopped when the client goes away."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core import signals

from portal.asgi_handler import PortalASGIHandler, ThreadPool
from tests.portal import asgi_urls

pytestmark = pytest.mark.django_db(transaction=True)  # async tests: asyncio_mode = "auto"


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = "tests.portal.asgi_urls"
    settings.ALLOWED_HOSTS = ["testserver"]
    asgi_urls.SEEN.clear()
    asgi_urls.GO_ON.clear()

    def started(**kwargs):
        asgi_urls.SEEN.append(("started", threading.get_ident()))

    def finished(**kwargs):
        asgi_urls.SEEN.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield PortalASGIHandler()
    asgi_urls.GO_ON.set()
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def _scope(path: str, query: bytes = b"") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _start(handler, path: str, query: bytes = b"") -> ApplicationCommunicator:
    talk = ApplicationCommunicator(handler, _scope(path, query))
    await talk.send_input({"type": "http.request", "body": b"", "more_body": False})
    return talk


async def _whole(talk: ApplicationCommunicator) -> tuple[int, bytes]:
    start = await talk.receive_output(10)
    body = b""
    while True:
        message = await talk.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await talk.wait(10)
    return start["status"], body


def _steps(seen: list[tuple[str, int]]) -> list[str]:
    return [step for step, _thread in seen]


async def test_a_request_runs_on_one_thread_that_the_next_request_gets_again(handler):
    assert await _whole(await _start(handler, "/plain/")) == (200, b"plain")
    first = list(asgi_urls.SEEN)
    assert _steps(first) == ["started", "view", "finished"]
    threads = {thread for _step, thread in first}
    assert len(threads) == 1
    assert threading.get_ident() not in threads

    asgi_urls.SEEN.clear()
    assert await _whole(await _start(handler, "/plain/")) == (200, b"plain")
    assert {thread for _step, thread in asgi_urls.SEEN} == threads  # kept, not a new thread


async def test_a_streamed_answer_is_sent_a_piece_at_a_time_on_its_thread_while_others_are_served(handler):
    streamed = await _start(handler, "/streamed/")
    start = await streamed.receive_output(10)
    assert start["status"] == 200
    first = await streamed.receive_output(10)
    # sent while the view's iterator still waits before its second piece: not read in full first
    assert first == {"type": "http.response.body", "body": b"piece 0;", "more_body": True}
    stream_thread = asgi_urls.SEEN[0][1]

    # another request meanwhile: served at once, on another thread
    assert await _whole(await _start(handler, "/plain/")) == (200, b"plain")
    others = {thread for step, thread in asgi_urls.SEEN if step == "view"} - {stream_thread}
    assert len(others) == 1

    asgi_urls.GO_ON.set()
    rest = b""
    while (message := await streamed.receive_output(10)).get("more_body", False):
        rest += message["body"]
    assert rest == b"piece 1;piece 2;"
    await streamed.wait(10)
    ours = [(step, thread) for step, thread in asgi_urls.SEEN if thread == stream_thread]
    assert _steps(ours) == ["started", "view", "piece", "piece", "piece", "closed", "finished"]


async def test_a_client_gone_mid_stream_stops_the_reading_and_ends_the_request(handler):
    talk = await _start(handler, "/streamed/")
    await talk.receive_output(10)  # http.response.start
    assert (await talk.receive_output(10))["body"] == b"piece 0;"
    await talk.send_input({"type": "http.disconnect"})
    await talk.wait(10)
    asgi_urls.GO_ON.set()
    for _ in range(50):  # the generator's close runs on its thread, after the blocked piece
        if "finished" in _steps(asgi_urls.SEEN):
            break
        await asyncio.sleep(0.1)
    steps = _steps(asgi_urls.SEEN)
    assert steps[-2:] == ["closed", "finished"]
    assert steps.count("piece") <= 2  # the one being read when the client left, at most
    assert len({thread for _step, thread in asgi_urls.SEEN}) == 1


async def test_a_query_that_is_not_utf8_is_refused_with_400_as_django_does(handler):
    status, _body = await _whole(await _start(handler, "/plain/", b"q=\xff"))
    assert status == 400
    assert _steps(asgi_urls.SEEN) == ["started", "finished"]


async def test_a_websocket_scope_is_not_for_this_handler(handler):
    with pytest.raises(ValueError, match="websocket"):
        await handler({"type": "websocket"}, None, None)


def test_the_pool_keeps_a_bounded_number_of_idle_threads():
    pool = ThreadPool(keep=3)
    lent = [pool.take() for _ in range(5)]  # a burst of five requests at once
    threads = [executor.submit(threading.get_ident).result(5) for executor in lent]
    assert len(set(threads)) == 5
    for executor in lent:
        pool.give_back(executor)
    assert pool.idle() == 3
    kept = [pool.take() for _ in range(3)]
    assert kept == lent[:3]  # the same executors, lent again
    assert pool.take() not in lent  # the two beyond the bound were shut down, a new one is made
    with pytest.raises(RuntimeError):
        lent[4].submit(threading.get_ident)
