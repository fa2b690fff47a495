"""5,000 websocket subscribers over two daphnes receive a new event (issue 18).

Subscribers hold ``/ws/events/`` (the public event stream, as programs use it) through nginx,
which spreads them over two daphne processes. Then, ``--rounds`` times, this process commits a
formal quick report (``catalog.services.quick_reports.quick_report_submit``, the service the
SMS intake and the API call) and takes the time right after COMMIT (an ``on_commit`` callback
registered before the service's own broadcast). Each subscriber takes the time its message
arrived. Printed: the delay from the commit to each subscriber (p50, p99, the last), per round
and over all rounds, against the goal (p99 under 1 s); the daphnes' resident memory before
and after the sockets were opened, per connection.

Run:  .venv/bin/python bench/scale/fanout.py [--subscribers 5000] [--rounds 5] [--clients 4]
Starts its own PostgreSQL, Redis (6392), two daphnes and nginx under /tmp; stops them.
The client processes raise their open-files limit to the hard limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procs

GOAL_P99_S = 1.0


def client(port: int, count: int, conn: Any, connect_parallel: int) -> None:
    """One client process: open ``count`` sockets, report ready, record arrivals until told."""
    procs.raise_nofile()
    import websockets

    arrivals: dict[str, list[float]] = {}
    upstreams: dict[str, int] = {}
    failures = 0

    async def hold(ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.time()
                data = json.loads(raw)
                arrivals.setdefault(data["data"]["id"], []).append(now)
        except websockets.ConnectionClosed:
            pass

    async def main() -> None:
        nonlocal failures
        gate = asyncio.Semaphore(connect_parallel)
        sockets: list[Any] = []
        tasks: list[asyncio.Task[None]] = []

        async def open_one() -> None:
            nonlocal failures
            async with gate:
                for _attempt in range(3):
                    try:
                        ws = await websockets.connect(
                            f"ws://127.0.0.1:{port}/ws/events/",
                            origin=f"http://127.0.0.1:{port}",
                            open_timeout=60,
                            ping_interval=None,  # 5,000 idle pings would only add noise
                            max_queue=64,
                        )
                    except (OSError, TimeoutError, websockets.InvalidHandshake):
                        await asyncio.sleep(0.5)
                        continue
                    where = ws.response.headers.get("X-Upstream", "?")
                    upstreams[where] = upstreams.get(where, 0) + 1
                    sockets.append(ws)
                    tasks.append(asyncio.create_task(hold(ws)))
                    return
                failures += 1

        t0 = time.monotonic()
        await asyncio.gather(*(open_one() for _ in range(count)))
        loop = asyncio.get_running_loop()
        conn.send(
            {
                "ready": len(sockets),
                "failures": failures,
                "upstreams": upstreams,
                "connect_s": time.monotonic() - t0,
            }
        )
        await loop.run_in_executor(None, conn.recv)  # "stop"
        silent = [ws for ws in sockets if ws.state.name != "OPEN"]
        codes: dict[str, int] = {}
        for ws in silent:
            key = f"{ws.state.name} {ws.close_code} {ws.close_reason}"
            codes[key] = codes.get(key, 0) + 1
        conn.send({"arrivals": arrivals, "closed": codes})
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in tasks:
            task.cancel()

    asyncio.run(main())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="client processes holding the sockets")
    parser.add_argument("--connect-parallel", type=int, default=50, help="handshakes in flight per client")
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between rounds")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait after the last round")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    args = parser.parse_args()
    limit = procs.raise_nofile()
    with procs.Stack("fanout", keep=args.keep) as stack:
        info = procs.start_portal(stack, daphnes=2, fresh=args.fresh, redis_port=6392)
        print(
            f"{os.cpu_count()} CPUs (shared), open-files limit {limit}; daphnes on {info['daphne_ports']}, "
            f"nginx {info['http']}, {args.subscribers} subscribers in {args.clients} client processes"
        )
        time.sleep(2)
        rss_before = [procs.rss_kib(p.pid) for p in info["daphnes"]]

        ctx = mp.get_context("fork")
        pipes, workers = [], []
        share = [
            args.subscribers // args.clients + (i < args.subscribers % args.clients)
            for i in range(args.clients)
        ]
        for n in share:
            parent, child = ctx.Pipe()
            worker = ctx.Process(target=client, args=(info["http"], n, child, args.connect_parallel))
            worker.start()
            pipes.append(parent)
            workers.append(worker)
        ready = [pipe.recv() for pipe in pipes]
        held = sum(r["ready"] for r in ready)
        upstreams: dict[str, int] = {}
        for r in ready:
            for where, n in r["upstreams"].items():
                upstreams[where] = upstreams.get(where, 0) + n
        print(
            f"subscribers connected: {held} of {args.subscribers} "
            f"(failures {sum(r['failures'] for r in ready)}) in {max(r['connect_s'] for r in ready):.1f} s; "
            f"per daphne {upstreams}"
        )
        time.sleep(3)  # let the daphnes settle (their group_add calls done)
        rss_after = [procs.rss_kib(p.pid) for p in info["daphnes"]]

        # this process commits the quick reports (the portal's own service, on our database)
        os.environ.update(info["env"])
        sys.path[:0] = [str(procs.ROOT), str(procs.HERE)]
        import django

        django.setup()
        from django.db import transaction
        from two_servers import quick_report_text

        from catalog.services.quick_reports import quick_report_submit
        from portal.models import User
        from portal.tenancy import actor_for

        actor = actor_for(User.objects.get(username="scale"), "JX")
        commits: list[tuple[str, float]] = []
        cpu_before = [procs.cpu_seconds(p.pid) for p in info["daphnes"]]
        for i in range(args.rounds):
            stamp: list[float] = []
            with transaction.atomic():
                transaction.on_commit(lambda stamp=stamp: stamp.append(time.time()))  # before the broadcast
                result = quick_report_submit(actor=actor, text=quick_report_text(i, minutes_ago=3))
            commits.append((result.event.public_id, stamp[0]))
            print(
                f"round {i + 1}: commit's callbacks (broadcasts, task enqueue) took "
                f"{(time.time() - stamp[0]) * 1000:.0f} ms",
                flush=True,
            )
            time.sleep(args.gap)  # (at 5,000 sockets a round may still be arriving when the next commits)
        time.sleep(args.drain)  # the last rounds' deliveries still on their way
        cpu_used = sum(procs.cpu_seconds(p.pid) for p in info["daphnes"]) - sum(cpu_before)
        for pipe in pipes:
            pipe.send("stop")
        arrivals: dict[str, list[float]] = {}
        closed: dict[str, int] = {}
        for pipe in pipes:
            report = pipe.recv()
            for key, times in report["arrivals"].items():
                arrivals.setdefault(key, []).extend(times)
            for key, n in report["closed"].items():
                closed[key] = closed.get(key, 0) + n
        for worker in workers:
            worker.join(30)

    print()
    print(f"load average at the end (1, 5, 15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    if closed:
        print(f"sockets closed before the end: {closed}")
    all_delays: list[float] = []
    complete = True
    for n, (public_id, t_commit) in enumerate(commits, 1):
        delays = [t - t_commit for t in arrivals.get(public_id, [])]
        all_delays += delays
        complete &= len(delays) == held
        print(
            f"round {n}: {len(delays)} of {held} subscribers got {public_id}; from commit: "
            f"p50 {pct(delays, 50) * 1000:.0f} ms, p99 {pct(delays, 99) * 1000:.0f} ms, "
            f"last {max(delays, default=float('nan')) * 1000:.0f} ms"
        )
    p99 = pct(all_delays, 99)
    print(
        f"all rounds: {len(all_delays)} deliveries, p50 {pct(all_delays, 50) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms (goal < {GOAL_P99_S * 1000:.0f} ms: {'met' if p99 < GOAL_P99_S else 'NOT met'}), "
        f"last {max(all_delays, default=float('nan')) * 1000:.0f} ms, "
        f"mean of the rounds' last {statistics.mean([max([t - c for t in arrivals.get(k, [c])]) for k, c in commits]) * 1000:.0f} ms"
    )
    print(
        f"daphnes' CPU time over the rounds: {cpu_used:.2f} s for {len(all_delays)} deliveries = "
        f"{cpu_used / max(1, len(all_delays)) * 1e6:.0f} us per delivered message (so about "
        f"{cpu_used / max(1, len(all_delays)) * held / 2:.2f} s of one core per round for each daphne's "
        f"{held // 2} sockets)"
    )
    grown = sum(rss_after) - sum(rss_before)
    print(
        f"daphne RSS before {[f'{k / 1024:.0f} MiB' for k in rss_before]}, after {held} sockets "
        f"{[f'{k / 1024:.0f} MiB' for k in rss_after]}: {grown / max(held, 1):.1f} KiB per connection"
    )
    sys.exit(0 if complete and held == args.subscribers else 1)


if __name__ == "__main__":
    main()
