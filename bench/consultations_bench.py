"""Benchmark of the live meeting room (issue 5): opinion submit → every client has it.

Run (from the repository root, PostgreSQL/PostGIS and Redis up; the database is migrated
by the script):

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/ispec_consultations \\
        .venv/bin/python bench/consultations_bench.py [--clients 200] [--rounds 30]

What it does: starts one daphne process on loopback (the portal's ASGI application,
Channels over Redis), opens N websocket clients to one meeting room (each sends
``hello`` and waits for ``caught_up``), then an expert submits an opinion through the
HTTP API N_rounds times, one after another. For each submit it records when each
client received the room event, measured from just before the POST was sent, on the
same monotonic clock (the clients and the submitter share this process).

Prints: connect time of all clients; the per-delivery latency (every client, every
round) median/p99/max; the per-round "last client" latency (time until *every* client
had it) median/p99/max; and the POST's own response time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
# a channel prefix of our own: a running portal on the same Redis never sees our messages
os.environ.setdefault("CHANNELS_PREFIX", f"ispec-bench-{uuid.uuid4().hex[:6]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def setup_room(people: int):  # type: ignore[no-untyped-def]
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from consultations.services import meetings as meeting_services
    from portal.demo import load_disciplines
    from portal.models import Bureau, Membership, User
    from portal.tenancy import actor_for

    call_command("migrate", verbosity=0)
    disciplines = {d.code: d for d in load_disciplines()}
    bureau, _ = Bureau.objects.update_or_create(
        code="BENCH",
        defaults={
            "name_zh": "基准测试局",
            "name_en": "Benchmark bureau",
            "kind": "provincial",
            "jurisdiction": MultiPolygon(Polygon.from_bbox((113.5, 24.5, 118.5, 30.1)), srid=4326),
        },
    )

    def person(username: str, role: str, discipline: str | None = None) -> User:
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": username})
        Membership.objects.get_or_create(
            user=user,
            bureau=bureau,
            role=role,
            discipline=disciplines.get(discipline) if discipline else None,
            revoked_at=None,
        )
        return user

    chair = person("bench_chair", "chair")
    expert = person("bench_expert", "expert", "seismology")
    viewers = [person(f"bench_viewer_{i:03d}", "viewer") for i in range(people)]
    meeting = meeting_services.meeting_create(
        actor=actor_for(chair, "BENCH"),
        kind="weekly",
        title=f"bench {timezone.now():%Y-%m-%d %H:%M:%S}",
        starts_at=timezone.now(),
    )
    sessions = []
    for viewer in viewers:
        client = Client()
        client.force_login(viewer)
        sessions.append(client.cookies["sessionid"].value)
    token, _ = Token.objects.get_or_create(user=expert)
    return meeting.pk, sessions, token.key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("daphne did not start")


class Room:
    """N clients; ``arrivals[summary]`` = perf_counter times the opinion reached each client."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.events: dict[str, asyncio.Event] = {}
        self.n = 0

    def expect(self, summary: str) -> asyncio.Event:
        self.arrivals[summary] = []
        self.events[summary] = asyncio.Event()
        return self.events[summary]

    def received(self, summary: str, at: float) -> None:
        got = self.arrivals.setdefault(summary, [])
        got.append(at)
        if len(got) == self.n and summary in self.events:
            self.events[summary].set()


async def client(
    url: str,
    headers: dict[str, str],
    room: Room,
    ready: asyncio.Event,
    counter: list[int],
    gate: asyncio.Semaphore,
) -> None:
    import websockets

    # people join a few at a time; daphne drops a handshake its app has not accepted in 5 s
    await gate.acquire()
    async with websockets.connect(
        url, additional_headers=headers, max_queue=None, ping_interval=None, open_timeout=None
    ) as ws:
        welcome = json.loads(await ws.recv())
        assert welcome["kind"] == "welcome", welcome
        await ws.send(json.dumps({"type": "hello", "since": 0}))
        while True:
            message = json.loads(await ws.recv())
            if message["kind"] == "caught_up":
                break
        gate.release()
        counter[0] += 1
        if counter[0] == room.n:
            ready.set()
        async for raw in ws:
            at = time.perf_counter()
            message = json.loads(raw)
            if message.get("kind") == "room" and message.get("type") == "opinion":
                room.received(message["payload"]["summary"], at)


def post_opinion(base: str, meeting_id: int, token: str, summary: str) -> float:
    import requests

    t0 = time.perf_counter()
    response = requests.post(
        f"{base}/api/v1/consultations/meetings/{meeting_id}/opinions/",
        json={"discipline": "seismology", "summary": summary},
        headers={"Authorization": f"Token {token}", "X-Bureau": "BENCH"},
        timeout=30,
    )
    response.raise_for_status()
    return time.perf_counter() - t0


async def run(args: argparse.Namespace) -> None:
    meeting_id, sessions, token = await asyncio.to_thread(setup_room, args.people)
    port = free_port()
    proc = await asyncio.to_thread(start_daphne, port)
    base = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/consultations/meetings/{meeting_id}/"
    headers = [{"Cookie": f"sessionid={key}", "Origin": base} for key in sessions]
    room = Room()
    room.n = args.clients
    ready = asyncio.Event()
    counter = [0]
    tasks = []
    gate = asyncio.Semaphore(args.concurrent_joins)
    try:
        t0 = time.perf_counter()
        for _ in range(args.clients):
            tasks.append(
                asyncio.create_task(
                    client(url, headers[len(tasks) % len(headers)], room, ready, counter, gate)
                )
            )
            await asyncio.sleep(0)  # spread the handshakes a little
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait([waiter, *tasks], timeout=180, return_when=asyncio.FIRST_COMPLETED)
        if not ready.is_set():
            failed = [t for t in tasks if t.done()]
            for task in failed[:3]:
                print("client failed:", repr(task.exception()))
            raise SystemExit(f"only {counter[0]} of {args.clients} clients caught up")
        connect_s = time.perf_counter() - t0
        await asyncio.sleep(3.0)  # let the presence updates of the arrivals settle
        warm = room.expect("warm-up")
        await asyncio.to_thread(
            post_opinion, base, meeting_id, token, "warm-up"
        )  # first request: imports, plans
        await asyncio.wait_for(warm.wait(), timeout=60)

        deliveries: list[float] = []
        last_client: list[float] = []
        posts: list[float] = []
        for k in range(args.rounds):
            summary = f"round {k} {uuid.uuid4().hex[:6]}"
            done = room.expect(summary)
            start = time.perf_counter()
            posts.append(await asyncio.to_thread(post_opinion, base, meeting_id, token, summary))
            await asyncio.wait_for(done.wait(), timeout=30)
            times = [at - start for at in room.arrivals[summary]]
            deliveries += times
            last_client.append(max(times))
            await asyncio.sleep(args.pause)

        ms = 1000.0
        print(
            f"clients: {args.clients} ({args.people} distinct people), rounds: {args.rounds}, "
            "one daphne process on 127.0.0.1, Channels over Redis"
        )
        print(f"connect + hello/caught_up of all clients: {connect_s:.2f} s")

        def line(label: str, values: list[float]) -> str:
            return (
                f"{label} (n={len(values)}): median {statistics.median(values) * ms:.1f} ms, "
                f"p99 {percentile(values, 99) * ms:.1f} ms, max {max(values) * ms:.1f} ms"
            )

        print(line("submit -> a client received it (all deliveries)", deliveries))
        print(line("submit -> every client had it (per round)", last_client))
        print(line("POST /opinions/ response time", posts))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between submits")
    parser.add_argument(
        "--people", type=int, default=200, help="distinct signed-in people (clients share them)"
    )
    parser.add_argument("--concurrent-joins", type=int, default=10, help="handshakes in flight at once")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
