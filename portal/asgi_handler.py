"""The portal's ASGI handler for HTTP: Django's, with each request served in one call on a
kept thread (issue 18).

Django's ``ASGIHandler`` costs about 2 ms a request before any view runs (measured in
bench/catalog_bench.py: ``GET version`` 2.3 ms through daphne against 0.4 ms in process, and
0.3 ms for a bare ASGI app on the same daphne). Two things make it:

- **Hops between the event loop and a thread.** Django loads the middleware for an async
  chain; the portal's middleware is synchronous (WhiteNoise, sessions, the actor, the token
  log), so the chain switches between the loop and the request's thread at each change of
  kind, and once more for ``request_started`` and for ``response.close()`` — about six
  switches, each a wake-up of the loop through its self-pipe.
- **A new thread a request.** ``ThreadSensitiveContext()`` gives every request a thread of
  its own (so that its database connection is its own), started for it and joined, by yet
  another thread, when it ends.

Here the middleware is loaded for the synchronous chain, and the request's whole synchronous
part (``request_started``, middleware, view, and ``close()`` of an answer held in memory) runs
in one call on a thread taken from a pool of single-thread executors, given to asgiref as the
request's ``ThreadSensitiveContext(executor=...)`` (asgiref 3.13: the caller owns and reuses
the executor). Each request still has one thread to itself for its whole life, the view, a
streamed answer's iteration and ``request_finished``, so its database connection is used by
that thread alone; the thread is kept for the next request instead of being started and
joined. Measured: ``GET version`` through the handler alone, 2.3 ms as Django ships it, 0.45 ms
so.

A streamed answer with a synchronous iterator (a large FDSN query, a file) is read piece by
piece on that thread, where Django would read all of it into memory before sending
(``StreamingHttpResponse.__aiter__``), and stops when the client goes away.

Everything else (reading the body, building the request, the ASGI messages, refusing a body
too large or a path that is not UTF-8) is Django's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any, cast

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, StreamingHttpResponse
from django.urls import set_script_prefix

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

    from django.http import HttpResponseBase

    Send = Callable[[Mapping[str, Any]], Awaitable[None]]

_END = object()


class ThreadPool:
    """Single-thread executors kept between requests: one is lent to a request for its whole
    life. It grows to the most requests served at once (as Django's thread a request does),
    and keeps up to ``keep`` idle threads instead of joining them (the rest of a burst's
    threads end when their request does)."""

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self._idle: queue.SimpleQueue[ThreadPoolExecutor] = queue.SimpleQueue()

    def take(self) -> ThreadPoolExecutor:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        # An executor still running a request that ended early (a client gone while its view
        # ran) may be given back: its next request queues behind that work on the same
        # thread, which keeps each database connection to one request at a time.
        if self._idle.qsize() >= self.keep:
            executor.shutdown(wait=False)  # its thread ends once its work is done
        else:
            self._idle.put(executor)

    def idle(self) -> int:
        return self._idle.qsize()


class PortalASGIHandler(ASGIHandler):
    """``django.core.handlers.asgi.ASGIHandler`` with the synchronous part of a request run
    in one call on a kept thread (the module's docstring says why)."""

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)
        self.threads = ThreadPool()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            set_script_prefix(get_script_prefix(scope))
            # thread_sensitive: on the executor lent to this request (__call__)
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            if not response.streaming:
                await self.send_response(response, send)
                return
            try:
                await self._send_streamed(response, receive, send)
            finally:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope: dict[str, Any], body_file: IO[bytes]) -> HttpResponseBase:
        """The synchronous part of a request, on its thread: Django's ``request_started``, the
        middleware and the view; an answer held in memory is closed here too (its
        ``request_finished``), before it is sent."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refusal = self.create_request(scope, body_file)
        response = cast("HttpResponseBase", refusal if request is None else self.get_response(request))
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # as Django's
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # as Django's: the server chunks
        if not isinstance(response, StreamingHttpResponse):
            response.close()
        elif not response.is_async:
            response.streaming_content = _read_on_its_thread(
                cast("Iterator[bytes]", response.streaming_content)
            )
        return response

    async def _send_streamed(self, response: HttpResponseBase, receive: Any, send: Send) -> None:
        """Send a streamed answer while watching for the client to go away (as Django's
        handler does): a disconnect stops the reading of the rest."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait((sending, listening), return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task


async def _read_on_its_thread(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A streamed answer's sync iterator read a piece at a time on the request's thread (where
    its database cursor lives), instead of all at once before sending (Django's
    ``StreamingHttpResponse.__aiter__``)."""
    step = sync_to_async(lambda: next(pieces, _END), thread_sensitive=True)
    while (piece := await step()) is not _END:
        yield cast("bytes", piece)


def application() -> PortalASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with the portal's handler."""
    import django

    django.setup(set_prefix=False)
    return PortalASGIHandler()
