"""Catalog benchmark: CSV import of N synthetic events, then FDSN queries over them.

Usage (from the repository root):

    .venv/bin/python bench/catalog_bench.py [--events 1000000] [--requests 30]

What it does, on a separate database (``ispec_bench``, dropped at the end):

1. migrates a fresh database, creates the bureau BENCH;
2. writes a synthetic CSV (uniform times over 10 years, epicentres in
   73-135 E / 18-54 N, Gutenberg-Richter magnitudes with b = 1 above
   Mc = 1.5, depths 0-40 km) and imports it with
   ``manage.py import_events`` in a child process: events per second and the
   child's peak RSS (``ru_maxrss``);
3. starts daphne on the database and sends FDSN queries (a box, a time range
   and a magnitude floor, limit=1000) in text and QuakeML: median and p95
   wall time of the whole response over ``--requests`` requests each;
4. times PostgreSQL alone returning the same rows
   (``COPY (SELECT ...) TO STDOUT`` through psycopg) and prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB = "ispec_bench"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DSN = f"postgresql://postgres@127.0.0.1:5432/{DB}"
QUERY = {
    "starttime": "2018-01-01",
    "endtime": "2020-01-01",
    "minlatitude": "20",
    "maxlatitude": "40",
    "minlongitude": "95",
    "maxlongitude": "115",
    "minmagnitude": "3",
    "limit": "1000",
}
SQL = """
SELECT public_id, origin_time, latitude, longitude, depth_km, source, magnitude_type, magnitude, location_name
FROM catalog_event
WHERE is_published AND status <> 'deleted'
  AND origin_time >= '2018-01-01' AND origin_time <= '2020-01-01'
  AND location && ST_MakeEnvelope(95, 20, 115, 40, 4326)
  AND magnitude >= 3
ORDER BY origin_time DESC, id DESC
LIMIT 1000
"""


def env() -> dict[str, str]:
    values = dict(os.environ)
    values["DATABASE_URL"] = f"postgis://postgres@127.0.0.1:5432/{DB}"
    values["DJANGO_SETTINGS_MODULE"] = "portal.settings.local"
    values["DJANGO_DEBUG"] = "0"  # as in production: no query log, no debug toolbar costs
    values["PYTHONPATH"] = str(ROOT)
    return values


def manage(*args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env(), check=True, text=True, capture_output=capture
    )


def write_csv(path: Path, n: int, seed: int = 20261122) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2015-01-01T00:00:00")
    seconds = np.sort(rng.uniform(0, 10 * 365.25 * 86400, n))
    times = start + (seconds * 1000).astype("timedelta64[ms]")
    lon = rng.uniform(73, 135, n)
    lat = rng.uniform(18, 54, n)
    depth = rng.uniform(0, 40, n)
    mag = 1.5 + rng.exponential(1 / np.log(10), n)  # b = 1
    with open(path, "w", encoding="utf-8") as out:
        out.write("time,latitude,longitude,depth,mag,magType,place\n")
        chunk = 100_000
        for i in range(0, n, chunk):
            rows = zip(
                np.datetime_as_string(times[i : i + chunk], unit="ms"),
                lat[i : i + chunk],
                lon[i : i + chunk],
                depth[i : i + chunk],
                mag[i : i + chunk],
                strict=True,
            )
            out.write("".join(f"{t},{a:.4f},{o:.4f},{d:.1f},{m:.1f},ML,bench\n" for t, a, o, d, m in rows))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(func, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def in_process(repeats: int) -> None:
    """The same queries through Django's handler in this process (no server, one kept connection)."""
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    for fmt in ("text", "xml"):

        def fetch(fmt: str = fmt) -> None:
            response = client.get("/fdsnws/event/1/query", {**QUERY, "format": fmt})
            _ = b"".join(response.streaming_content)

        fetch()
        values = timed(fetch, repeats)
        print(
            f"FDSN {fmt:4} in process (Django handler only): median {statistics.median(values) * 1000:.1f} ms, "
            f"p95 {p95(values) * 1000:.1f} ms"
        )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--in-process":
        in_process(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    try:
        run(args)
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def run(args: argparse.Namespace) -> None:
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    manage("migrate", "--no-input")
    manage(
        "shell",
        "-c",
        "from portal.models import Bureau; Bureau.objects.get_or_create(code='BENCH', "
        "defaults={'name_zh': '基准', 'name_en': 'Bench', 'kind': 'national'})",
    )
    csv_path = Path("/tmp/ispec_catalog_bench.csv")
    started = time.perf_counter()
    write_csv(csv_path, args.events)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(
        f"synthetic CSV: {args.events:,} rows, {csv_path.stat().st_size / 2**20:.0f} MiB, "
        f"written in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    # /usr/bin/time reports the peak RSS of the importing process alone.
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "maxrss_kb=%M",
            PYTHON,
            "manage.py",
            "import_events",
            str(csv_path),
            "--bureau",
            "BENCH",
            "--json",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env=env(),
        check=True,
        text=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    peak_kib = int(result.stderr.rsplit("maxrss_kb=", 1)[1].split()[0])
    baseline = subprocess.run(
        ["/usr/bin/time", "-f", "maxrss_kb=%M", PYTHON, "manage.py", "import_events", "--help"],
        cwd=ROOT,
        env=env(),
        check=True,
        text=True,
        capture_output=True,
    )
    baseline_kib = int(baseline.stderr.rsplit("maxrss_kb=", 1)[1].split()[0])
    import json

    summary = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"import: {summary['inserted']:,} inserted, {summary['updated']:,} updated, "
        f"{summary['rejected']:,} rejected in {elapsed:.1f} s -> {args.events / elapsed:,.0f} events/s; "
        f"peak RSS of the importing process {peak_kib / 1024:.0f} MiB "
        f"(the same command's --help: {baseline_kib / 1024:.0f} MiB)"
    )
    csv_path.unlink()
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE catalog_event")

    port = free_port()
    log = open("/tmp/ispec_catalog_bench_daphne.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
        cwd=ROOT,
        env=env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}/fdsnws/event/1/"
        for _ in range(100):
            try:
                if requests.get(base + "version", timeout=5).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)
        session = requests.Session()
        results = {}
        floor = timed(lambda: session.get(base + "version", timeout=10).content, args.requests)
        print(
            f"daphne floor (GET version, no database): median {statistics.median(floor) * 1000:.1f} ms, "
            f"p95 {p95(floor) * 1000:.1f} ms"
        )
        for fmt in ("text", "xml"):

            def fetch(fmt: str = fmt) -> None:
                response = session.get(base + "query", params={**QUERY, "format": fmt}, timeout=60)
                response.raise_for_status()
                _ = response.content

            fetch()  # warm up
            rows = (
                session.get(base + "query", params={**QUERY, "format": "text"}, timeout=60).text.count("\n")
                - 1
            )
            results[fmt] = timed(fetch, args.requests)
            print(
                f"FDSN {fmt:4} through daphne: {rows} events, median {statistics.median(results[fmt]) * 1000:.1f} ms, "
                f"p95 {p95(results[fmt]) * 1000:.1f} ms over {args.requests} requests"
            )
        inproc = subprocess.run(
            [PYTHON, __file__, "--in-process", str(args.requests)],
            cwd=ROOT,
            env=env(),
            check=True,
            text=True,
            capture_output=True,
        )
        print(inproc.stdout.strip())
        with psycopg.connect(BENCH_DSN) as conn:

            def copy() -> None:
                with conn.cursor().copy(f"COPY ({SQL}) TO STDOUT") as out:
                    for _block in out:
                        pass

            copy()
            pg = timed(copy, args.requests)
        pg_median = statistics.median(pg)
        print(
            f"PostgreSQL COPY of the same rows: median {pg_median * 1000:.1f} ms, p95 {p95(pg) * 1000:.1f} ms; "
            f"ratio FDSN through daphne / PostgreSQL (medians): text {statistics.median(results['text']) / pg_median:.1f}, "
            f"xml {statistics.median(results['xml']) / pg_median:.1f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


if __name__ == "__main__":
    main()
