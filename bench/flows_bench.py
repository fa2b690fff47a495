"""Benchmark of the flow engine (issue 14): 1,000 runs of a five-node flow queued at once and
drained by 4 worker processes (a real ``celery worker -c 4``), against calling the same
node implementations directly.

Run:  .venv/bin/python bench/flows_bench.py [--runs 1000] [--events 2000] [--concurrency 4]

Creates the database ispec_bench_flows (dropped at the end), migrates it, loads (not timed)
the bureaus, the demo people and ``--events`` events in JX's jurisdiction, and JX's flow

    trigger.manual -> source.catalog (jurisdiction, 1 year) -> method.bvalue
                   -> logic.condition (b < 5) -> output.notify (in the app)

Then:
  1. direct: each node's ``run()`` called in sequence in this process, ``--direct-runs`` times (the
     same work, no engine: no run or node rows, no audit, no Celery), scaled to ``--runs``;
  2. flow: ``--runs`` runs requested at once (``run_request``, each enqueuing
     ``flows.run_start`` on commit), then a worker with ``-c 4`` started on a queue of its
     own drains them; wall time from the worker's start to the last run's end.
The engine's overhead per run is the flow's core time per run (wall x the cores the worker
processes share) minus the direct time per run. Checks: every run succeeded, every node ran exactly once (``NodeRun.attempts == 1`` and one
``flow_node.start`` audit row per node run). Prints the figures side by side.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_flows"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
QUEUE = f"ispec-bench-flows-{os.getpid()}"

FLOW = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "cat", "type": "source.catalog", "params": {"area": "jurisdiction", "days": 365.0}},
        {"id": "b", "type": "method.bvalue", "params": {}},
        {
            "id": "low",
            "type": "logic.condition",
            "params": {"path": "result.b", "op": "lt", "threshold": 5.0},
        },
        {"id": "tell", "type": "output.notify", "params": {"title": "b-value", "roles": ["forecaster"]}},
    ],
    "edges": [
        {"from": "cat.catalog", "to": "b.catalog"},
        {"from": "b.result", "to": "low.value"},
        {"from": "low.then", "to": "tell.message"},
    ],
}


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def load_events(bureau, n: int) -> None:  # type: ignore[no-untyped-def]
    """Gutenberg-Richter magnitudes (b = 1 above 1.95) over the last year in JX."""
    from datetime import timedelta

    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from catalog.models import Event

    rng = np.random.default_rng(14)
    mags = np.round(1.95 + rng.exponential(1 / np.log(10), n), 1)
    now = timezone.now()
    rows = []
    for i in range(n):
        lat, lon = float(rng.uniform(26.0, 29.0)), float(rng.uniform(114.0, 117.0))
        rows.append(
            Event(
                bureau=bureau,
                public_id=f"bench{i}",
                origin_time=now - timedelta(days=float(rng.uniform(1, 360))),
                latitude=lat,
                longitude=lon,
                location=Point(lon, lat, srid=4326),
                depth_km=10.0,
                magnitude=float(mags[i]),
                magnitude_type="ML",
                status="reviewed",
                report_kind="catalog",
                is_published=True,
            )
        )
    Event.objects.bulk_create(rows, batch_size=2000)


def start_worker(env: dict[str, str], log: Path, concurrency: int) -> subprocess.Popen:
    from portal.celery import app

    out = open(log, "w")  # noqa: SIM115 - kept open for the worker's lifetime
    name = f"bench-flows-{os.getpid()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-c", str(concurrency), "-Q", QUEUE,
         "-n", f"{name}@%h", "-l", "warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        if app.control.ping(destination=[f"{name}@{socket.gethostname()}"], timeout=0.5):
            return proc
    raise RuntimeError("worker did not start")


def direct(flow, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Each node's run() in topological order, outputs passed by hand: the work without the engine."""
    from django.utils import timezone

    from flows.registry import NodeContext, node_type
    from portal.tenancy import bureau_reader

    nodes = {n["id"]: n for n in flow.current_version.definition["nodes"]}
    times = []
    for index in range(runs):
        started = time.perf_counter()
        context = NodeContext(
            bureau=flow.bureau,
            reader=bureau_reader(flow.bureau),
            run_id=-index - 1,
            node_id="",
            now=timezone.now(),
            trigger={"kind": "manual"},
            author_id=flow.author_id,
        )

        def call(node_id: str, inputs: dict, ctx: NodeContext = context) -> dict:
            ctx.node_id = node_id
            return node_type(nodes[node_id]["type"]).run(ctx, inputs, nodes[node_id]["params"])

        call("start", {})
        catalog = call("cat", {})["catalog"]
        result = call("b", {"catalog": catalog})["result"]
        then = call("low", {"value": result})["then"]
        call("tell", {"message": then})
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--direct-runs", type=int, default=200, help="direct calls timed (per-run figures)")
    args = parser.parse_args()

    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    media = tempfile.mkdtemp(prefix="ispec-bench-flows-")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        CHANNELS_PREFIX=f"bench-{os.getpid()}",
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        PORTAL_MEDIA_ROOT=media,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    worker = None
    try:
        call_command("migrate", verbosity=0)
        from flows.models import FlowRun, NodeRun
        from flows.services import runs as run_services
        from flows.services.flows import flow_create
        from portal import demo
        from portal.models import AuditEvent, User
        from portal.tenancy import actor_for

        demo.load_disciplines()
        bureaus = {b.code: b for b in demo.load_bureaus()}
        demo.load_demo_people()
        load_events(bureaus["JX"], args.events)
        actor = actor_for(User.objects.get(username="jx_forecaster"), "JX")
        flow = flow_create(actor=actor, name="bench", definition=FLOW)

        # 1. direct (the first call computes the b-value; later ones reuse the stored result,
        # as the flow's method node does through the product engine)
        direct_times = direct(flow, min(args.direct_runs, args.runs))
        direct_total = sum(direct_times) * args.runs / len(direct_times)  # scaled to --runs

        # 2. the flow engine: queue every run at once, then let 4 worker processes drain them
        started = time.perf_counter()
        with transaction.atomic():
            run_ids = [run_services.run_request(actor=actor, flow=flow).pk for _ in range(args.runs)]
        queue_s = time.perf_counter() - started
        started = time.perf_counter()
        worker = start_worker(env, Path(media) / "worker.log", args.concurrency)
        start_s = time.perf_counter() - started
        t0 = time.perf_counter()
        final = ("succeeded", "failed", "cancelled")
        while FlowRun.objects.filter(pk__in=run_ids).exclude(status__in=final).exists():
            if time.perf_counter() - t0 > 3600:
                raise RuntimeError("runs not finished in an hour")
            time.sleep(0.2)
        drain_s = time.perf_counter() - t0

        runs = FlowRun.objects.filter(pk__in=run_ids)
        by_status = {s: runs.filter(status=s).count() for s in final}
        nodes = NodeRun.objects.filter(run_id__in=run_ids)
        twice = nodes.exclude(attempts=1).count()
        starts = AuditEvent.objects.filter(action="flow_node.start", target_type__icontains="noderun").count()
        node_sum = sum(n.duration_s or 0.0 for n in nodes)
        spans = [
            (r.finished_at - r.queued_at).total_seconds()
            for r in runs.only("queued_at", "finished_at")
            if r.finished_at
        ]
        per_run_direct_ms = 1000 * direct_total / args.runs
        per_run_flow_wall_ms = 1000 * drain_s / args.runs
        # the worker processes share the machine's cores: the busy time is wall x the cores used
        cores = min(args.concurrency, os.cpu_count() or 1)
        per_run_worker_ms = 1000 * drain_s * cores / args.runs
        per_run_nodes_ms = 1000 * node_sum / args.runs
        print(
            f"runs {args.runs}, events {args.events}, worker processes {args.concurrency}, cores {os.cpu_count()}"
        )
        print(f"queueing {args.runs} runs (one transaction): {queue_s:.2f} s; worker start {start_s:.1f} s")
        print(f"all complete: {by_status}; node runs {nodes.count()}, run more than once: {twice}, "
              f"node start audit rows {starts} (expected {nodes.count()})")  # fmt: skip
        print(f"{'':34}{'direct':>12}{'flow engine':>14}")
        print(f"{'total wall (s) (direct: 1 process)':34}{direct_total:12.2f}{drain_s:14.2f}")
        print(f"{'per run, wall (ms)':34}{per_run_direct_ms:12.1f}{per_run_flow_wall_ms:14.1f}")
        print(f"{'per run, core time (ms)':34}{per_run_direct_ms:12.1f}{per_run_worker_ms:14.1f}")
        print(f"{'per run, inside node.run (ms)':34}{per_run_direct_ms:12.1f}{per_run_nodes_ms:14.1f}")
        print(f"{'engine overhead per run (ms)':34}{'':12}{per_run_worker_ms - per_run_direct_ms:14.1f}")
        print(f"{'direct per run median/p95 (ms)':34}"
              f"{1000 * statistics.median(direct_times):7.1f}/{1000 * sorted(direct_times)[int(0.95 * len(direct_times)) - 1]:.1f}")  # fmt: skip
        if spans:
            print(
                f"queued->finished per run: median {statistics.median(spans):.1f} s, max {max(spans):.1f} s"
            )
        assert by_status["succeeded"] == args.runs, by_status
        assert twice == 0
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
