"""Benchmark of the live meeting room (issues 5 and 18): 200 people join, then an opinion
submit → every client has it.

Run (from the repository root, PostgreSQL/PostGIS and Redis up; the database is migrated
by the script):

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/ispec_consultations DJANGO_DEBUG=0 \\
        .venv/bin/python bench/consultations_bench.py [--clients 200] [--rounds 30] [--procs 1]

What it does: starts one daphne process on loopback (the portal's ASGI application,
Channels over Redis), opens N websocket clients to one meeting room, spread over
``--procs`` client processes, each client catching up (``?since=0`` in the URL, or
``--protocol hello``: a ``hello`` frame after the welcome, as clients before issue 18 did)
until ``caught_up``; then an expert submits an opinion through the HTTP API
``--rounds`` times, one after another. For each submit it records when each client
received the room event, measured from just before the POST was sent.

The clients run in a process of their own, or several (``--procs``; issue 18 asked whether
200 clients decoding every frame in one Python process on the same two cores measured the
client rather than the server). They do not: during the join the clients spend 0.2-0.4 s
of CPU against the server's 1.5-1.8 s (printed with every run), and four client processes
measured no faster than one (bench/RESULTS.md), so one is the default. All times are
``time.perf_counter()`` readings, which on Linux is CLOCK_MONOTONIC, one clock for every
process of the machine.

Prints: connect time of all clients (with the CPU seconds daphne and the clients spent
meanwhile, and the load average); the per-delivery latency (every client, every round)
median/p99/max; the per-round "last client" latency (time until *every* client had it);
and the POST's own response time; then the join against its goal (< 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import queue
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

JOIN_GOAL_S = 3.0  # issue 18: a 200-person join completes in under 3 s


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU time of a process (or of one of its threads) so far (Linux /proc)."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def setup_room(people: int):  # type: ignore[no-untyped-def]
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.core.management import call_command
    from django.utils import timezone
    from django.utils.module_loading import import_string
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
    # The session django.contrib.auth.login writes, without the login signal's work (axes,
    # last_login: a third of a second a person here); the server reads it the same way.
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    sessions = []
    for viewer in viewers:
        session = store()
        session[SESSION_KEY] = str(viewer.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = viewer.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    token, _ = Token.objects.get_or_create(user=expert)
    return meeting.pk, sessions, token.key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "portal.asgi:application",
        ],
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


# --- the client processes ----------------------------------------------------------------


def client_process(
    index: int,
    url: str,
    headers: list[dict[str, str]],
    joins_in_flight: int,
    protocol: str,
    start: mp.synchronize.Event,
    stop: mp.synchronize.Event,
    out: mp.Queue,
) -> None:
    """One process of clients: reports ("ready", index, t) once all of its clients caught
    up, then ("got", index, summary, [t, ...]) once all of them had an opinion."""
    asyncio.run(_clients(index, url, headers, joins_in_flight, protocol, start, stop, out))


async def _clients(
    index: int,
    url: str,
    headers: list[dict[str, str]],
    joins_in_flight: int,
    protocol: str,
    start: mp.synchronize.Event,
    stop: mp.synchronize.Event,
    out: mp.Queue,
) -> None:
    import websockets

    n = len(headers)
    arrivals: dict[str, list[float]] = {}
    caught_up = [0]
    # people join a few at a time; daphne drops a handshake its app has not accepted in 5 s
    gate = asyncio.Semaphore(joins_in_flight)
    target = f"{url}?since=0" if protocol == "url" else url

    async def client(header: dict[str, str]) -> None:
        await gate.acquire()
        async with websockets.connect(
            target, additional_headers=header, max_queue=None, ping_interval=None, open_timeout=None
        ) as ws:
            welcome = json.loads(await ws.recv())
            assert welcome["kind"] == "welcome", welcome
            if protocol == "hello":
                await ws.send(json.dumps({"type": "hello", "since": 0}))
            while True:
                message = json.loads(await ws.recv())
                if message["kind"] == "caught_up":
                    break
            gate.release()
            caught_up[0] += 1
            if caught_up[0] == n:
                out.put(("ready", index, time.perf_counter()))
            async for raw in ws:
                at = time.perf_counter()
                message = json.loads(raw)
                if message.get("kind") == "room" and message.get("type") == "opinion":
                    summary = message["payload"]["summary"]
                    got = arrivals.setdefault(summary, [])
                    got.append(at)
                    if len(got) == n:
                        out.put(("got", index, summary, got))

    await asyncio.to_thread(start.wait)
    tasks = []
    for header in headers:
        tasks.append(asyncio.create_task(client(header)))
        await asyncio.sleep(0)  # spread the handshakes a little
    while not stop.is_set():
        failed = [t for t in tasks if t.done() and t.exception() is not None]
        if failed:
            out.put(("failed", index, repr(failed[0].exception())))
            break
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- the submitter and the figures --------------------------------------------------------


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


class Collector:
    """What the client processes report, read from their queue."""

    def __init__(self, out: mp.Queue, procs: int) -> None:
        self.out = out
        self.procs = procs
        self.ready: dict[int, float] = {}
        self.got: dict[str, dict[int, list[float]]] = {}

    def _read(self, timeout: float) -> None:
        try:
            message = self.out.get(timeout=timeout)
        except queue.Empty:
            return
        if message[0] == "failed":
            raise SystemExit(f"client process {message[1]}: a client failed: {message[2]}")
        if message[0] == "ready":
            self.ready[message[1]] = message[2]
        elif message[0] == "got":
            self.got.setdefault(message[2], {})[message[1]] = message[3]

    def wait_ready(self, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while len(self.ready) < self.procs:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.ready)} of {self.procs} client processes caught up")
            self._read(0.5)
        return max(self.ready.values())

    def wait_got(self, summary: str, timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while len(self.got.get(summary, {})) < self.procs:
            if time.monotonic() > deadline:
                raise SystemExit(f"{summary!r} did not reach every client")
            self._read(0.5)
        return [t for times in self.got[summary].values() for t in times]


def run(args: argparse.Namespace) -> None:
    meeting_id, sessions, token = setup_room(args.people)
    port = free_port()
    proc = start_daphne(port)
    base = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/consultations/meetings/{meeting_id}/"
    headers = [
        {"Cookie": f"sessionid={sessions[k % len(sessions)]}", "Origin": base} for k in range(args.clients)
    ]
    # spawn: the children start clean, without this process's Django and threads
    ctx = mp.get_context("spawn")
    start, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    # the handshakes in flight, shared out over the processes
    in_flight = [
        max(1, args.concurrent_joins // args.procs + (i < args.concurrent_joins % args.procs))
        for i in range(args.procs)
    ]
    children = [
        ctx.Process(
            target=client_process,
            args=(i, url, headers[i :: args.procs], in_flight[i], args.protocol, start, stop, out),
            daemon=True,
        )
        for i in range(args.procs)
    ]
    collector = Collector(out, args.procs)
    try:
        for child in children:
            child.start()
        time.sleep(2.0)  # the children import websockets and wait on `start`
        cpu_before = {p: cpu_seconds(p) for p in (proc.pid, *(c.pid for c in children))}
        loop_before = cpu_seconds(proc.pid, proc.pid)  # daphne's main thread: the event loop
        t0 = time.perf_counter()
        start.set()
        connect_s = collector.wait_ready(timeout=180) - t0
        cpu_daphne = cpu_seconds(proc.pid) - cpu_before[proc.pid]
        cpu_loop = cpu_seconds(proc.pid, proc.pid) - loop_before
        cpu_clients = sum(cpu_seconds(c.pid) - cpu_before[c.pid] for c in children)
        load_after_join = load_average()
        time.sleep(3.0)  # let the presence updates of the arrivals settle
        post_opinion(base, meeting_id, token, "warm-up")  # first request: imports, plans
        collector.wait_got("warm-up", timeout=60)

        deliveries: list[float] = []
        last_client: list[float] = []
        posts: list[float] = []
        for k in range(args.rounds):
            summary = f"round {k} {uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            posts.append(post_opinion(base, meeting_id, token, summary))
            times = [at - started for at in collector.wait_got(summary, timeout=30)]
            deliveries += times
            last_client.append(max(times))
            time.sleep(args.pause)

        ms = 1000.0
        print(
            f"clients: {args.clients} ({args.people} distinct people) in {args.procs} client "
            f"process(es), rounds: {args.rounds}, catch-up by {args.protocol}, "
            "one daphne process on 127.0.0.1, Channels over Redis"
        )
        print(
            f"connect + caught_up of all clients: {connect_s:.2f} s (goal < {JOIN_GOAL_S:.0f} s: "
            f"{'met' if connect_s < JOIN_GOAL_S else 'not met'}); CPU meanwhile: daphne "
            f"{cpu_daphne:.2f} s (event loop {cpu_loop:.2f} s, other threads {cpu_daphne - cpu_loop:.2f} s), "
            f"clients {cpu_clients:.2f} s; {load_after_join}"
        )

        def line(label: str, values: list[float]) -> str:
            return (
                f"{label} (n={len(values)}): median {statistics.median(values) * ms:.1f} ms, "
                f"p99 {percentile(values, 99) * ms:.1f} ms, max {max(values) * ms:.1f} ms"
            )

        print(line("submit -> a client received it (all deliveries)", deliveries))
        print(line("submit -> every client had it (per round)", last_client))
        print(line("POST /opinions/ response time", posts))
        print(load_average())
    finally:
        stop.set()
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()
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
    parser.add_argument(
        "--concurrent-joins", type=int, default=10, help="handshakes in flight at once, over all processes"
    )
    parser.add_argument("--procs", type=int, default=1, help="client processes")
    parser.add_argument(
        "--protocol",
        choices=("url", "hello"),
        default="url",
        help="catch-up asked in the URL (?since=0) or by a hello frame after the welcome",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
