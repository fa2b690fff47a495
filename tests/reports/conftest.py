"""Fixtures of the reports tests: gazetteer towns, a local webhook receiver, SMS texts."""

from __future__ import annotations

import datetime as dt
import json
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Around Shanggao (上高县), Jiangxi: the epicentre of the SMS in DOMAIN.md.
SHANGGAO = (115.01, 28.11)
JX_BBOX = (114.0, 27.4, 116.0, 28.9)


@lru_cache(maxsize=1)
def _china_rows():
    from reports.gazetteer import read_rows

    return tuple(read_rows())


def rows_in(lon0: float, lat0: float, lon1: float, lat1: float):
    return tuple(r for r in _china_rows() if lon0 <= r.longitude <= lon1 and lat0 <= r.latitude <= lat1)


def _jx_rows():
    return rows_in(*JX_BBOX)


@pytest.fixture
def jx_towns(db):
    """Real GeoNames towns of the Shanggao area loaded through the service."""
    from reports.services.towns import towns_load

    return towns_load(rows=_jx_rows())


def jx_sms(
    magnitude: str = "4.1",
    *,
    kind: str = "正式",
    minutes_ago: int = 3,
    lat: str = "28.11",
    lon: str = "115.01",
) -> str:
    """A JX quick-report SMS (DOMAIN.md's format) for a quake a few minutes ago, Beijing time."""
    when = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=minutes_ago)
    tail = "级左右地震" if kind == "自动" else "级地震，震源深度5千米。"
    return (
        f"【江西省地震局】江西省地震台网{kind}测定:{when:%Y年%m月%d日%H时%M分}在江西宜春市上高县"
        f"(北纬{lat}度,东经{lon}度)发生{magnitude}{tail}"
    )


class Receiver:
    """A real HTTP server on 127.0.0.1 that records POSTed JSON and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict] = []
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.received.append(json.loads(body.decode("utf-8")))
                receiver.event.set()
                answer = json.dumps(
                    {"errcode": 0, "errmsg": "ok"} if receiver.status < 400 else {"error": "boom"}
                )
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=secret-key"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    """``webhook(status=200)`` → a running Receiver; closed after the test."""
    started: list[Receiver] = []

    def start(status: int = 200) -> Receiver:
        receiver = Receiver(status)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()
