"""The FDSN service on a PostgreSQL streaming replica through the database router (issue 18).

Our own primary (a copy of the migrated template, loaded with ``--events`` published events by
COPY) and a replica made from it with ``pg_basebackup -R`` (streaming, hot standby) on
another port. Two daphnes behind nginx serve the FDSN text query of ``bench/catalog_bench.py``
(a box, two years, a magnitude floor, limit 1000), first on the primary alone, then with
``DATABASE_REPLICA_URL`` set (``portal/db_router.py``). For each, requests per second and p50 /
p99 latency at 1, 4 and 16 clients for ``--seconds`` each, and the rows each cluster read
meanwhile (``pg_stat_database.tup_returned + tup_fetched``): with the replica, the FDSN reads
leave the primary. Also: the replica is in recovery and streaming, a row written on the
primary is on the replica after the lag printed, and a person's report list read right after
a write of theirs comes from the primary (the read-your-writes cookie).

On one machine the replica adds no CPU (both clusters share the same cores), so equal
throughput is the expected outcome here; on several machines each replica adds its machine's
capacity for these reads (README, "Scaling out").

Run:  .venv/bin/python bench/scale/replica.py [--events 200000] [--seconds 15]
Starts its own primary and replica clusters, Redis (6394), daphnes and nginx; stops them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procs

REDIS_PORT = 6394
QUERY = {
    "starttime": "2018-01-01",
    "endtime": "2020-01-01",
    "minlatitude": "24.5",
    "maxlatitude": "30.1",
    "minlongitude": "113.5",
    "maxlongitude": "118.5",
    "minmagnitude": "2.5",
    "limit": "1000",
    "format": "text",
}


def dsn(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/ispec"


def rows_read(port: int) -> int:
    time.sleep(1.1)  # backends flush their statistics at most once a second (PostgreSQL 15)
    with psycopg.connect(dsn(port), autocommit=True) as conn:
        row = conn.execute(
            "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = 'ispec'"
        ).fetchone()
    return int(row[0]) if row else 0


def load(url: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lines = [0]
    stop = time.monotonic() + seconds

    def one() -> None:
        session = requests.Session()
        session.trust_env = False
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            answer = session.get(url, params=QUERY, timeout=60)
            took = time.perf_counter() - t0
            if answer.status_code != 200:
                errors[0] += 1
                continue
            latencies.append(took)
            lines[0] = answer.text.count("\n") - 1

    threads = [threading.Thread(target=one) for _ in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else float("nan"),
        "errors": errors[0],
        "events": lines[0],
    }


def serve(stack: procs.Stack, env: dict[str, str], static: Path, media: Path) -> tuple[list[Any], Any, int]:
    ports = [procs.free_port() for _ in range(2)]
    daphnes = [procs.daphne(stack, port, env) for port in ports]
    http = procs.free_port()
    nginx = procs.nginx(
        stack,
        http_port=http,
        https_port=procs.free_port(),
        upstreams=ports,
        static_root=static,
        media_root=media,
    )
    return daphnes, nginx, http


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    procs.raise_nofile()
    with procs.Stack("replica", keep=args.keep) as stack:
        template = procs.pg_template(args.fresh)
        primary = procs.free_port()
        primary_url = stack.postgres(primary, template=template, name="primary")
        stack.redis(REDIS_PORT)
        media, static = stack.root / "media", stack.root / "static"
        media.mkdir()
        env = procs.portal_env(
            primary_url,
            redis_port=REDIS_PORT,
            media=media,
            PORTAL_STATIC_ROOT=str(static),
            DATABASE_REPLICA_STICKY_SECONDS="3",
        )
        procs.manage(env, "collectstatic", "--noinput", "-v0")
        t0 = time.monotonic()
        procs.seed(env, "--events", str(args.events))
        with psycopg.connect(dsn(primary), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        print(
            f"{os.cpu_count()} CPUs (shared), load average {os.getloadavg()}; primary on {primary} with "
            f"{args.events:,} events (loaded in {time.monotonic() - t0:.0f} s)"
        )

        replica = procs.free_port()
        t0 = time.monotonic()
        replica_url = stack.postgres(replica, replica_of=primary, name="replica")
        with psycopg.connect(dsn(replica), autocommit=True) as conn:
            in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        with psycopg.connect(dsn(primary), autocommit=True) as conn:
            streaming = conn.execute("SELECT state, sync_state FROM pg_stat_replication").fetchall()
            conn.execute("CREATE TABLE IF NOT EXISTS scale_probe (t timestamptz)")
            conn.execute("INSERT INTO scale_probe VALUES (now())")
            written = time.monotonic()
        lag = None
        with psycopg.connect(dsn(replica), autocommit=True) as conn:
            while time.monotonic() - written < 10:
                if (
                    conn.execute("SELECT to_regclass('scale_probe') IS NOT NULL").fetchone()[0]
                    and conn.execute("SELECT count(*) FROM scale_probe").fetchone()[0]
                ):
                    lag = time.monotonic() - written
                    break
                time.sleep(0.005)
        print(
            f"replica on {replica} (pg_basebackup -R, {time.monotonic() - t0:.1f} s): in recovery "
            f"{in_recovery[0] if in_recovery else None}, replication {streaming}; a row written on the "
            f"primary read on the replica after {lag * 1000 if lag is not None else float('nan'):.0f} ms"
        )

        results: dict[str, dict[int, dict[str, float]]] = {}
        for label, extra in (("primary only", {}), ("with replica", {"DATABASE_REPLICA_URL": replica_url})):
            run_env = {**env, **extra}
            daphnes, nginx, http = serve(stack, run_env, static, media)
            url = f"http://127.0.0.1:{http}/fdsnws/event/1/query"
            load(url, 2, 3)  # warm both daphnes
            results[label] = {}
            for clients in levels:
                before = (rows_read(primary), rows_read(replica))
                figures = load(url, clients, args.seconds)
                after = (rows_read(primary), rows_read(replica))
                figures["primary_rows"] = after[0] - before[0]
                figures["replica_rows"] = after[1] - before[1]
                results[label][clients] = figures
                print(
                    f"{label:13s} {clients:2d} clients: {figures['rps']:6.1f} req/s, p50 {figures['p50']:6.0f} ms, "
                    f"p99 {figures['p99']:6.0f} ms, {figures['events']} events/answer, errors {figures['errors']}; "
                    f"rows read by the primary {figures['primary_rows']:,}, by the replica "
                    f"{figures['replica_rows']:,}",
                    flush=True,
                )
            if extra:
                read_your_writes(http, primary, replica)
            for proc in [nginx, *daphnes]:
                stack.stop(proc)
        print("\nFDSN text, limit 1000, through nginx and two daphnes: req/s primary only -> with replica")
        for clients in levels:
            a, b = results["primary only"][clients], results["with replica"][clients]
            print(
                f"  {clients:2d} clients: {a['rps']:.1f} -> {b['rps']:.1f} req/s "
                f"(primary's rows read {a['primary_rows']:,} -> {b['primary_rows']:,})"
            )
        print(f"load average at the end {os.getloadavg()}")


def read_your_writes(http: int, primary: int, replica: int) -> None:
    """A signed-in person's report list: from the replica; right after a write of theirs
    (a POST: the language choice), from the primary, for DATABASE_REPLICA_STICKY_SECONDS."""
    import re

    session = requests.Session()
    session.trust_env = False
    base = f"http://127.0.0.1:{http}"
    page = session.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    # the production profile's cookies are Secure: keep them on plain loopback HTTP by hand
    cookies = {c.name: c.value for c in session.cookies}
    answer = requests.post(
        f"{base}/login/",
        data={"username": "scale", "password": "scale-pass-2026", "csrfmiddlewaretoken": token.group(1)},
        cookies=cookies,
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    cookies.update({c.name: c.value for c in answer.cookies})
    # signing in is a write too: the person reads the primary until the cookie's max-age
    # (DATABASE_REPLICA_STICKY_SECONDS, 3 s here) has passed and the browser has dropped it
    time.sleep(3.5)
    cookies.pop("portal_db_primary", None)

    def rows() -> tuple[int, int]:
        return rows_read(primary), rows_read(replica)

    before = rows()
    requests.get(f"{base}/reports/", cookies=cookies, timeout=30)
    after = rows()
    first = (after[0] - before[0], after[1] - before[1])
    answer = requests.post(
        f"{base}/i18n/setlang/",
        data={"language": "en", "csrfmiddlewaretoken": cookies.get("csrftoken", "")},
        cookies=cookies,
        headers={"Referer": f"{base}/reports/", "X-CSRFToken": cookies.get("csrftoken", "")},
        allow_redirects=False,
        timeout=30,
    )
    cookies.update({c.name: c.value for c in answer.cookies})
    before = rows()
    requests.get(f"{base}/reports/", cookies=cookies, timeout=30)
    after = rows()
    second = (after[0] - before[0], after[1] - before[1])
    print(
        f"report list signed in: rows read primary/replica {first}; right after a POST "
        f"(cookie {'portal_db_primary' in cookies}): {second}"
    )


if __name__ == "__main__":
    main()
