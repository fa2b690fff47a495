"""Two daphne processes behind Debian's nginx, sharing sessions and the channel layer on Redis
(issue 18, "Several servers and workers"). Checks, and prints each with its outcome:

1. sign-in over HTTPS through nginx: the session cookie is ``Secure`` (Django saw
   ``X-Forwarded-Proto: https`` from nginx: production's SECURE_PROXY_SSL_HEADER);
2. the signed-in person's pages answer from both daphnes (sessions in Redis + the database);
3. ``/static/`` is sent by nginx from the collected files on disk (no daphne involved);
4. a file (a catalog import's original) is sent by nginx through ``X-Accel-Redirect`` after
   Django's permission check: the owner gets the bytes, an anonymous visitor a redirect to the
   sign-in, nobody reaches ``/_protected/`` from outside, and daphne itself sends no bytes;
5. websockets (``/ws/catalog/``, signed-in only) held on each daphne: a quick report posted
   through one daphne reaches the sockets held by both (the Redis channel layer).

Run:  .venv/bin/python bench/scale/two_servers.py [--fresh]
Starts its own PostgreSQL, Redis (port 6391), two daphnes and nginx under /tmp; stops them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import urllib3
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procs

urllib3.disable_warnings()
BJT = timedelta(hours=8)
PASSWORD = "scale-pass-2026"


def quick_report_text(i: int, minutes_ago: int = 2) -> str:
    """A formal CENC quick report of a quake a little while ago (each i another place)."""
    t = datetime.now(UTC) + BJT - timedelta(minutes=minutes_ago)
    lat, lon = 24.6 + (i * 0.37) % 5.4, 113.6 + (i * 0.53) % 4.8
    return (
        f"中国地震台网正式测定：{t:%Y年%m月%d日%H时%M分}在江西测试地点{i}（北纬{lat:.2f}度，东经{lon:.2f}度）"
        f"发生{3.0 + (i % 20) / 10:.1f}级地震，震源深度10千米。"
    )


def upstream(response: requests.Response) -> str:
    return response.headers.get("X-Upstream", "")


RESULTS: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    RESULTS.append((name, ok, detail))
    print(f"[{'ok' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}", flush=True)


def sign_in(base: str) -> requests.Session:
    session = requests.Session()
    session.verify = False
    session.trust_env = False  # a CA bundle in the environment would override verify=False
    page = session.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = session.post(
        f"{base}/login/",
        data={"username": "scale", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )
    cookie = next((c for c in session.cookies if c.name == "sessionid"), None)
    check(
        "sign-in over HTTPS through nginx; session cookie Secure (X-Forwarded-Proto seen)",
        answer.status_code == 302 and cookie is not None and bool(cookie.secure),
        f"status {answer.status_code}, answered by {upstream(answer)}, secure={cookie and cookie.secure}",
    )
    return session


async def sockets_and_broadcast(info: dict, session: requests.Session, token: str) -> None:
    http, https = info["http"], info["https"]
    ports = {f"127.0.0.1:{p}" for p in info["daphne_ports"]}
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    held: dict[str, websockets.ClientConnection] = {}
    extra: list[websockets.ClientConnection] = []
    for _ in range(8):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{http}/ws/catalog/",
            origin=f"http://127.0.0.1:{http}",
            additional_headers={"Cookie": cookie},
        )
        where = ws.response.headers.get("X-Upstream", "")
        if where in held:
            extra.append(ws)
        else:
            held[where] = ws
        if set(held) >= ports:
            break
    check("a signed-in socket is accepted on each daphne", set(held) >= ports, f"held on {sorted(held)}")
    senders = set()
    for i in range(4):
        answer = requests.post(
            f"https://127.0.0.1:{https}/api/v1/quick-reports/",
            json={"text": quick_report_text(1000 + i)},
            headers={"Authorization": f"Token {token}"},
            verify=False,
            timeout=30,
        )
        sender = upstream(answer)
        senders.add(sender)
        public_id = answer.json().get("id") or answer.json().get("event", {}).get("id")
        got = {}
        for where, ws in held.items():
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    message = json.loads(
                        await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic())
                    )
                except TimeoutError:
                    break
                if message.get("kind") == "catalog.event" and message["data"]["id"] == public_id:
                    got[where] = True
                    break
        others = [w for w in held if w != sender]
        check(
            f"quick report {i + 1} posted through {sender} reaches sockets on both daphnes",
            answer.status_code == 201 and all(got.get(w) for w in held) and bool(others),
            f"status {answer.status_code}, event {public_id}, received on {sorted(got)}",
        )
    check("the posts were answered by both daphnes", senders >= ports, f"senders {sorted(senders)}")
    for ws in [*held.values(), *extra]:
        await ws.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true", help="rebuild the migrated database template")
    args = parser.parse_args()
    procs.raise_nofile()
    with procs.Stack("two-servers") as stack:
        info = procs.start_portal(stack, daphnes=2, fresh=args.fresh)
        http, https = info["http"], info["https"]
        base = f"https://127.0.0.1:{https}"
        ports = {f"127.0.0.1:{p}" for p in info["daphne_ports"]}
        print(f"daphnes on {sorted(ports)}, nginx http {http} https {https}, redis {info['redis_port']}")

        session = sign_in(base)
        answered = set()
        statuses = set()
        for _ in range(8):
            page = session.get(f"{base}/me/settings/", allow_redirects=False)
            answered.add(upstream(page))
            statuses.add(page.status_code)
        check(
            "the person's page answers signed in from both daphnes",
            statuses == {200} and answered >= ports,
            f"statuses {sorted(statuses)}, answered by {sorted(answered)}",
        )

        static_file = next(p for p in sorted(info["static"].rglob("*.css")))
        url = "/static/" + static_file.relative_to(info["static"]).as_posix()
        page = session.get(f"{base}{url}")
        check(
            "static files come from disk through nginx (no daphne)",
            page.status_code == 200 and page.content == static_file.read_bytes() and not upstream(page),
            f"{url}: {page.status_code}, {len(page.content)} bytes, upstream '{upstream(page)}'",
        )

        file_url = f"/events/imports/{info['seed']['import']}/file"
        page = session.get(f"{base}{file_url}")
        check(
            "a file is sent by nginx after Django's check (X-Accel-Redirect)",
            page.status_code == 200
            and len(page.content) == info["seed"]["file_bytes"]
            and "attachment" in page.headers.get("Content-Disposition", "")
            and page.headers.get("X-Content-Type-Options") == "nosniff",
            f"{page.status_code}, {len(page.content)} bytes, {page.headers.get('Content-Disposition')}",
        )
        # the session cookie is Secure: handed over by hand to the plain-HTTP daphne port
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        direct = requests.get(
            f"http://127.0.0.1:{info['daphne_ports'][0]}{file_url}",
            headers={"X-Forwarded-Proto": "https", "Cookie": cookie},
            allow_redirects=False,
            timeout=30,
        )
        check(
            "daphne itself answers with an empty body and X-Accel-Redirect",
            direct.status_code == 200
            and direct.content == b""
            and direct.headers.get("X-Accel-Redirect", "").startswith("/_protected/"),
            f"{direct.status_code}, {len(direct.content)} bytes, {direct.headers.get('X-Accel-Redirect')}",
        )
        anonymous = requests.get(f"{base}{file_url}", verify=False, allow_redirects=False, timeout=30)
        check(
            "an anonymous visitor is sent to the sign-in, not the file",
            anonymous.status_code == 302 and "/login/" in anonymous.headers.get("Location", ""),
            f"{anonymous.status_code} -> {anonymous.headers.get('Location')}",
        )
        stored = direct.headers.get("X-Accel-Redirect", "/_protected/x")
        outside = requests.get(f"{base}{stored}", verify=False, allow_redirects=False, timeout=30)
        check(
            "/_protected/ is not reachable from outside", outside.status_code == 404, f"{outside.status_code}"
        )

        token = requests.post(
            f"{base}/api/v1/auth/token/",
            json={"username": "scale", "password": PASSWORD},
            verify=False,
            timeout=30,
        ).json()["token"]
        asyncio.run(sockets_and_broadcast(info, session, token))

    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"{len(RESULTS) - len(failed)} of {len(RESULTS)} checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
