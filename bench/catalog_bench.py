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

Issue 18 added, in the same run:

- the import's limit: ``COPY FROM STDIN`` of the same rows into an empty copy of
  ``catalog_event`` with all its indexes (``CREATE TABLE ... (LIKE catalog_event
  INCLUDING ALL)``), events per second beside the import's;
- the COPY limit of the FDSN query written as the best plan wants it (the box also on
  latitude/longitude, so the public magnitude index answers it) and its EXPLAIN;
- ``count`` through daphne with the connection pool and without (``DATABASE_POOL=0``);
- beside that limit, ``COPY`` of the statement the service itself runs for each format (caught
  from Django's query log: the columns that format prints, the bureau's code by its join), so
  that the database's share of each answer and the service's own share can be told apart;
- requests per second of the FDSN text query at 1, 4 and 16 clients (threads, each
  with its own kept connection, for ``--seconds`` each) with p50/p99 latency.

``--db NAME`` picks the database (default ``ispec_bench``); the load average is printed
beside the figures (the machine is shared).

The FDSN figures (issue 18, second pass) are taken in turn: each round runs the COPY,
``version`` (the floor), text and QuakeML once, through daphne and then in process, so
that a change of the shared machine's load falls on the limit and the service alike; the
ratios are of those medians. ``--fdsn-only --db NAME`` measures only that, on a catalog
an earlier run left (``--keep``), without importing again.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import numpy as np
import psycopg
import requests

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB = "ispec_bench"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DSN = f"postgresql://postgres@127.0.0.1:5432/{DB}"


def use_database(name: str) -> None:
    global DB, BENCH_DSN
    DB = name
    BENCH_DSN = f"postgresql://postgres@127.0.0.1:5432/{DB}"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


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
  AND latitude BETWEEN 20 AND 40 AND longitude BETWEEN 95 AND 115
  AND magnitude >= 3
ORDER BY origin_time DESC, id DESC
LIMIT 1000
"""


def env(**extra: str) -> dict[str, str]:
    values = dict(os.environ)
    values.update(extra)
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


def interleaved(funcs: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each function, run in turn ``repeats`` times (after one warm-up each), so
    that a change of the machine's load falls on all of them alike."""
    for func in funcs.values():
        func()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            started = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - started)
    return times


def report_ratios(where: str, times: dict[str, list[float]]) -> None:
    pg = statistics.median(times["copy"])
    for name in ("floor", "text", "xml"):
        label = {"floor": "floor (GET version, no database)", "text": "FDSN text", "xml": "FDSN xml "}[name]
        print(
            f"{label} {where}: median {statistics.median(times[name]) * 1000:.1f} ms, "
            f"p95 {p95(times[name]) * 1000:.1f} ms"
        )
    print(
        f"PostgreSQL COPY of the same rows (in turn with the above): median {pg * 1000:.1f} ms, "
        f"p95 {p95(times['copy']) * 1000:.1f} ms; ratio FDSN {where} / COPY (medians): "
        f"text {statistics.median(times['text']) / pg:.2f}, xml {statistics.median(times['xml']) / pg:.2f} "
        f"(goals: text <= 2, xml <= 3); {load()}"
    )
    own = {fmt: statistics.median(times[f"copy {fmt}"]) for fmt in ("text", "xml")}
    print(
        "PostgreSQL COPY of the service's own statement for each format (the columns it prints, the "
        f"bureau's code by its join; in turn with the above): text {own['text'] * 1000:.1f} ms, "
        f"xml {own['xml'] * 1000:.1f} ms; ratio FDSN {where} / that COPY (medians): "
        f"text {statistics.median(times['text']) / own['text']:.2f}, "
        f"xml {statistics.median(times['xml']) / own['xml']:.2f}"
    )


def copy_statement(conn: psycopg.Connection, sql: str) -> Callable[[], None]:
    """PostgreSQL alone writing the rows of ``sql`` (``COPY (sql) TO STDOUT``): with ``SQL``,
    the limit."""

    def run() -> None:
        with conn.cursor().copy(f"COPY ({sql}) TO STDOUT") as out:
            for _block in out:
                pass

    return run


def service_statements() -> dict[str, str]:
    """The statement the FDSN service runs for the query in each format, as it ran it (the
    literal text psycopg sent, caught by Django's query log): the limit of each format's
    data, beside the nine columns of ``SQL``. Needs Django set up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    statements = {}
    for fmt in ("text", "xml"):
        with CaptureQueriesContext(connection) as caught:
            client.get("/fdsnws/event/1/query", {**QUERY, "format": fmt})
        (statements[fmt],) = [q["sql"] for q in caught.captured_queries if 'FROM "catalog_event"' in q["sql"]]
    return statements


def in_process(repeats: int) -> None:
    """The same queries through Django's handler in this process (no server, one kept connection)."""
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="localhost")

    def body(response: object) -> bytes:
        streaming = getattr(response, "streaming", False)
        return b"".join(response.streaming_content) if streaming else response.content  # type: ignore[attr-defined]

    def fetch(fmt: str) -> Callable[[], object]:
        return lambda: body(client.get("/fdsnws/event/1/query", {**QUERY, "format": fmt}))

    statements = service_statements()
    with psycopg.connect(BENCH_DSN) as conn:
        times = interleaved(
            {
                "copy": copy_statement(conn, SQL),
                "copy text": copy_statement(conn, statements["text"]),
                "copy xml": copy_statement(conn, statements["xml"]),
                "floor": lambda: body(client.get("/fdsnws/event/1/version")),
                "text": fetch("text"),
                "xml": fetch("xml"),
            },
            repeats,
        )
    report_ratios("in process (Django handler only)", times)


COPY_COLUMNS = (
    "created_at, updated_at, bureau_id, public_id, external_id, origin_time, latitude, longitude, "
    "location, depth_km, magnitude, magnitude_type, location_name, source, event_type, status, "
    "report_kind, is_published, version, strike, dip, rake"
)


VERSION_COLUMNS = (
    "event_id, version, origin_time, latitude, longitude, depth_km, magnitude, magnitude_type, "
    "location_name, source, status, report_kind, strike, dip, rake, data_origin, raw_text, "
    "created_at, created_by_id"
)


def copy_limit(n: int) -> tuple[float, float, float]:
    """Events/s of COPY FROM STDIN of the imported rows into an empty, fully indexed copy of
    catalog_event (what the import's writes can at best approach), into catalog_event
    itself, emptied in a transaction that is rolled back (the same, plus the foreign key to
    the bureau that every row of the real table is checked against), and, in another such
    transaction, into catalog_event and then its first versions into catalog_eventversion
    (all that the import stores, with every index and foreign key: its own limit)."""
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_target")
        conn.execute("CREATE TABLE bench_copy_target (LIKE catalog_event INCLUDING ALL)")

        def dump(sql: str) -> bytes:
            data = bytearray()
            with conn.cursor().copy(f"COPY ({sql}) TO STDOUT") as out:
                for block in out:
                    data += block
            return bytes(data)

        events = dump(f"SELECT {COPY_COLUMNS} FROM catalog_event")
        with_ids = dump(f"SELECT id, {COPY_COLUMNS} FROM catalog_event")
        versions = dump(f"SELECT {VERSION_COLUMNS} FROM catalog_eventversion")

        def copy_into(table: str, columns: str, data: bytes) -> float:
            started = time.perf_counter()
            with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as into:
                step = 1 << 20
                for i in range(0, len(data), step):
                    into.write(data[i : i + step])
            return time.perf_counter() - started

        elapsed = copy_into("bench_copy_target", COPY_COLUMNS, events)
        conn.execute("DROP TABLE bench_copy_target")
        with conn.transaction(force_rollback=True):
            # checked as the rows arrive (deferred, the check would wait for a commit)
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            conn.execute("TRUNCATE catalog_event CASCADE")
            real = copy_into("catalog_event", COPY_COLUMNS, events)
        with conn.transaction(force_rollback=True):
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            conn.execute("TRUNCATE catalog_event CASCADE")
            both = copy_into("catalog_event", f"id, {COPY_COLUMNS}", with_ids)
            both += copy_into("catalog_eventversion", VERSION_COLUMNS, versions)
    return n / elapsed, n / real, n / both


def start_daphne(port: int, log, **extra: str) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    server = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
        cwd=ROOT,
        env=env(**extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/fdsnws/event/1/version", timeout=5).ok:
                break
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.5)
    return server


def concurrency(base: str, clients: int, seconds: float) -> tuple[float, float, float]:
    """Requests/s of the FDSN text query with ``clients`` threads for ``seconds``; p50, p99 (s)."""
    import threading

    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        session = requests.Session()
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = session.get(base + "query", params={**QUERY, "format": "text"}, timeout=60)
            response.raise_for_status()
            _ = response.content
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return len(latencies) / wall, statistics.median(latencies), float(np.percentile(latencies, 99))


def pool_comparison(args: argparse.Namespace) -> None:
    """``count`` (a cheap query) and requests/s with the pool and without, same daphne build."""
    for label, extra in (("no pool (as shipped before issue 18)", {"DATABASE_POOL": "0"}), ("pool", {})):
        port = free_port()
        with open(f"/tmp/ispec_catalog_bench_daphne_{port}.log", "w") as log:
            server = start_daphne(port, log, **extra)
            try:
                base = f"http://127.0.0.1:{port}/fdsnws/event/1/"
                session = requests.Session()
                params = {"starttime": "2024-01-01", "minmagnitude": "4"}
                session.get(base + "count", params=params, timeout=30).raise_for_status()
                values = timed(
                    lambda s=session, b=base, p=params: s.get(b + "count", params=p, timeout=30).content,
                    args.requests,
                )
                print(
                    f"{label}: GET count through daphne median {statistics.median(values) * 1000:.1f} ms, "
                    f"p95 {p95(values) * 1000:.1f} ms; {load()}"
                )
                for clients in (1, 4, 16):
                    rate, p50, p99 = concurrency(base, clients, args.seconds)
                    print(
                        f"{label}: FDSN text query, {clients:2} clients: {rate:.1f} requests/s, "
                        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; {load()}"
                    )
            finally:
                server.terminate()
                server.wait(timeout=10)


def fdsn_part(args: argparse.Namespace) -> None:
    """The FDSN figures beside their limit: daphne's floor, text and QuakeML through daphne
    and in process, PostgreSQL's COPY of the same rows, and the ratios."""
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")
        plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE) " + SQL).fetchall()]
    scans = [line.strip() for line in plan if "Scan" in line]
    print("plan of the limit's query (serial): " + " / ".join(scans) + " / " + plan[-1].strip())

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
        # The client: one kept-alive http.client connection reading each body in one call.
        # requests (the earlier client here) spent ~1 ms of its own a request and read a
        # body in 10 kB pieces (~4 ms of the 1.3 MB QuakeML answer): the client, not the
        # service (the COPY beside it is read by psycopg's C reader).
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def fetch(path: str, params: dict[str, str] | None = None) -> Callable[[], object]:
            target = "/fdsnws/event/1/" + path + ("?" + urlencode(params) if params else "")

            def get() -> object:
                plain.request("GET", target)
                response = plain.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"{target}: HTTP {response.status}")
                return body

            return get

        rows = bytes(fetch("query", {**QUERY, "format": "text"})()).count(b"\n") - 1  # type: ignore[arg-type]
        print(f"the FDSN query selects {rows} events; {args.requests} requests of each kind, in turn")

        statements = json.loads(
            subprocess.run(
                [PYTHON, __file__, "--service-sql", DB],
                cwd=ROOT,
                env=env(),
                check=True,
                text=True,
                capture_output=True,
            ).stdout
        )
        with psycopg.connect(BENCH_DSN) as conn:
            times = interleaved(
                {
                    "copy": copy_statement(conn, SQL),
                    "copy text": copy_statement(conn, statements["text"]),
                    "copy xml": copy_statement(conn, statements["xml"]),
                    "floor": fetch("version"),
                    "text": fetch("query", {**QUERY, "format": "text"}),
                    "xml": fetch("query", {**QUERY, "format": "xml"}),
                },
                args.requests,
            )
        report_ratios("through daphne", times)
        inproc = subprocess.run(
            [PYTHON, __file__, "--in-process", str(args.requests), DB],
            cwd=ROOT,
            env=env(),
            check=True,
            text=True,
            capture_output=True,
        )
        print(inproc.stdout.strip())
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--service-sql":
        import django

        use_database(sys.argv[2])
        django.setup()
        print(json.dumps(service_statements()))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--in-process":
        use_database(sys.argv[3])
        in_process(int(sys.argv[2]))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--in-process":
        in_process(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--db", default=DB, help="the database to create and drop")
    parser.add_argument("--seconds", type=float, default=10.0, help="per concurrency level")
    parser.add_argument(
        "--fdsn-only",
        action="store_true",
        help="only the FDSN figures, on the catalog --db already holds (one --keep left); nothing dropped",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the import and its limits (on a new --db), no FDSN or concurrency figures",
    )
    args = parser.parse_args()
    use_database(args.db)
    if args.fdsn_only:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; FDSN part only, on {DB}")
        fdsn_part(args)
        return
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
    # One file per database: two runs on the shared machine must not write (or unlink) one file.
    csv_path = Path(f"/tmp/ispec_catalog_bench_{DB}.csv")
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
    # The command's own clock (import_file and its commit, without starting Django: a
    # worker has started already); the goal is judged on the whole command above.
    inside = float(summary["seconds"])
    print(
        f"import inside the command (no process start-up, {elapsed - inside:.1f} s): {inside:.1f} s -> "
        f"{args.events / inside:,.0f} events/s"
    )
    csv_path.unlink()
    with psycopg.connect(BENCH_DSN, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE catalog_event")
    limit_rate, real_rate, both_rate = copy_limit(args.events)
    print(
        f"import limit: COPY FROM STDIN of the same {args.events:,} rows into an empty copy of catalog_event "
        f"with its indexes: {limit_rate:,.0f} events/s; import / limit = {args.events / elapsed / limit_rate:.2f} "
        f"(goal >= 0.5; inside the command {args.events / inside / limit_rate:.2f}); {load()}"
    )
    print(
        f"the same COPY into catalog_event itself, emptied and rolled back (its foreign key to the bureau "
        f"checked): {real_rate:,.0f} events/s; import / that = {args.events / elapsed / real_rate:.2f} "
        f"(inside the command {args.events / inside / real_rate:.2f}); {load()}"
    )
    print(
        f"all the import stores, by COPY, emptied and rolled back: the events into catalog_event, "
        f"then their first versions into catalog_eventversion (every index, foreign keys checked): "
        f"{both_rate:,.0f} events/s; import / that = {args.events / elapsed / both_rate:.2f} "
        f"(inside the command {args.events / inside / both_rate:.2f}); {load()}"
    )
    if args.import_only:
        return
    fdsn_part(args)
    pool_comparison(args)


if __name__ == "__main__":
    main()
