"""Views for tests/portal/test_asgi_handler.py: they record the thread each step runs on."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.http import HttpRequest

#: what the views saw: ("view" | "piece" | "closed", thread id)
SEEN: list[tuple[str, int]] = []
#: the streamed view waits on this after its first piece
GO_ON = threading.Event()


def plain(request: HttpRequest) -> HttpResponse:
    SEEN.append(("view", threading.get_ident()))
    return HttpResponse(b"plain")


def streamed(request: HttpRequest) -> StreamingHttpResponse:
    SEEN.append(("view", threading.get_ident()))

    def pieces() -> Iterator[bytes]:
        try:
            for number in range(3):
                SEEN.append(("piece", threading.get_ident()))
                yield f"piece {number};".encode()
                if number == 0:
                    GO_ON.wait(10)
        finally:
            SEEN.append(("closed", threading.get_ident()))

    return StreamingHttpResponse(pieces(), content_type="text/plain")


urlpatterns = [path("plain/", plain), path("streamed/", streamed)]
