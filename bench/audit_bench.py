"""Benchmark of the audit chain (issue 16): appending under concurrent writers, and verifying
a million records, in a database of its own.

Run:  .venv/bin/python bench/audit_bench.py [--writers 4] [--records 1000] [--million 1000000]

Creates the database ispec_bench_audit (dropped at the end unless --keep) and migrates it.

1. Appends: ``--writers`` processes each append ``--records`` audit records through
   ``portal.services.audit_record`` (the one way in), each record in its own transaction as a
   service writes it; then the same processes insert the same rows into a plain copy of the
   table (no chain: no lock, no hash, no seq) in the same way: the limit. Records/s of both,
   measured in the same run, and the latency of one append alone (one process). After the
   chained run: every record present exactly once, seq 1..N with no gap, one unbroken chain
   (walked), i.e. no fork and no lost record.
2. Verifying: ``--million`` more records generated with the chain's own hashing
   (``portal.audit_chain.link``) and loaded with COPY (the generation and the load are timed
   but are not the figure), then ``manage.py audit_verify`` (the whole chain, streaming) timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_audit"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"
ACTIONS = [
    ("anomaly.submit", "disciplines.anomaly", "draft", "submitted"),
    ("report.sign_off", "consultations.consultationreport", "approved", "signed"),
    ("channel.series_written", "observations.channel", "", ""),
    ("membership.grant", "portal.membership", "", ""),
    ("product_run.finish", "products.productrun", "running", "done"),
]
PLAIN = "bench_audit_plain"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):.3f} ms, p95 {p95:.3f} ms"


def _setup_django() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        CHANNELS_PREFIX=f"bench-{os.getpid()}",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- 1. concurrent appends ------------------------------------------------------------------


def _writer(mode: str, writer: int, count: int, bureau_id: int, go, done) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection, transaction

    from portal.models import Bureau
    from portal.services import audit_record

    bureau = Bureau.objects.get(pk=bureau_id)
    connection.ensure_connection()
    go.wait()
    started = time.perf_counter()
    for i in range(count):
        action, target_type, before, after = ACTIONS[i % len(ACTIONS)]
        extra = {"writer": writer, "i": i}
        if mode == "chain":
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action=action,
                    target=bureau,
                    from_state=before,
                    to_state=after,
                    comment=f"bench {writer}/{i}",
                    extra=extra,
                )
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {PLAIN} (created_at, bureau_id, action, target_type, target_id, from_state,"
                    " to_state, comment, extra) VALUES (now(), %s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
                    [
                        bureau.pk,
                        action,
                        target_type,
                        str(bureau.pk),
                        before,
                        after,
                        f"bench {writer}/{i}",
                        json.dumps(extra),
                    ],
                )
    done.put(time.perf_counter() - started)
    connection.close()


def run_writers(mode: str, writers: int, count: int, bureau_id: int) -> float:
    """Wall time (s) for ``writers`` processes to write ``count`` records each, started together."""
    from django.db import connections

    connections.close_all()  # the children open their own
    ctx = multiprocessing.get_context("fork")
    go, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(mode, n, count, bureau_id, go, done)) for n in range(writers)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # every child connected and waiting
    started = time.perf_counter()
    go.set()
    for _ in procs:
        done.get(timeout=3600)
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"a {mode} writer failed ({proc.exitcode})")
    return wall


def single_latency(count: int, bureau_id: int) -> dict[str, list[float]]:
    from django.db import connection, transaction

    from portal.models import Bureau
    from portal.services import audit_record

    bureau = Bureau.objects.get(pk=bureau_id)
    out: dict[str, list[float]] = {"chain": [], "plain": []}
    for i in range(count):
        started = time.perf_counter()
        with transaction.atomic():
            audit_record(actor=None, action="bench.single", target=bureau, extra={"i": i})
        out["chain"].append(time.perf_counter() - started)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PLAIN} (created_at, bureau_id, action, target_type, target_id, from_state,"
                " to_state, comment, extra) VALUES (now(), %s, 'bench.single', 'portal.bureau', %s, '', '', '', %s::jsonb)",
                [bureau.pk, str(bureau.pk), json.dumps({"i": i})],
            )
        out["plain"].append(time.perf_counter() - started)
    return out


# --- 2. a million records --------------------------------------------------------------------


def load_million(n: int, bureau_id: int) -> tuple[float, float]:
    """Append ``n`` chained records after the head with COPY; (seconds hashing, seconds loading)."""
    import psycopg
    from django.db import connection

    from portal import audit_chain
    from portal import integrity_selectors as selectors

    head = selectors.chain_head()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM portal_auditevent")
        first_id = cursor.fetchone()[0] + 1
    base = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    started = time.perf_counter()
    rows = []
    for i in range(n):
        action, target_type, before, after = ACTIONS[i % len(ACTIONS)]
        rows.append(
            audit_chain.ChainRow(
                id=first_id + i,
                seq=0,
                prev_hash="",
                hash="",
                created_at=base + dt.timedelta(microseconds=5_000_123 * i // 1000),
                actor_id=None,
                bureau_id=bureau_id,
                action=action,
                target_type=target_type,
                target_id=str(1 + i % 5000),
                from_state=before,
                to_state=after,
                comment=f"generated record {i}" if i % 3 else "",
                extra={"i": i, "samples": i * 7 % 1440, "source": "bench"} if i % 2 else {},
            )
        )
    buf = io.StringIO()
    for row, (seq, prev_hash, digest) in zip(
        rows, audit_chain.link(rows, after=(head.seq, head.hash)), strict=True
    ):
        buf.write(
            "\t".join(
                (
                    str(row.id),
                    row.created_at.isoformat(),
                    str(row.bureau_id),
                    row.action,
                    row.target_type,
                    row.target_id,
                    row.from_state,
                    row.to_state,
                    row.comment,
                    json.dumps(row.extra),
                    str(seq),
                    prev_hash,
                    digest,
                )
            )
            + "\n"
        )
    hashing = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY portal_auditevent (id, created_at, bureau_id, action, target_type, target_id, from_state,"
                " to_state, comment, extra, seq, prev_hash, hash) FROM STDIN"
            ) as copy,
        ):
            copy.write(buf.getvalue())
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('portal_auditevent', 'id'), max(id)) FROM portal_auditevent"
        )
        conn.execute("VACUUM ANALYZE portal_auditevent")
    return hashing, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--records", type=int, default=1000, help="records per writer")
    parser.add_argument("--single", type=int, default=500, help="appends timed one by one")
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()

    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    _setup_django()
    from django.core.management import call_command
    from django.db import connection, connections

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        from portal import demo, integrity
        from portal.models import AuditEvent

        bureau = sorted(demo.load_bureaus(), key=lambda b: b.code)[0]
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {PLAIN} (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL,"
                " actor_id bigint, bureau_id bigint, action varchar(64) NOT NULL, target_type varchar(64) NOT NULL,"
                " target_id varchar(64) NOT NULL, from_state varchar(32) NOT NULL, to_state varchar(32) NOT NULL,"
                " comment text NOT NULL, extra jsonb NOT NULL)"
            )
            cursor.execute(f"CREATE INDEX ON {PLAIN} (created_at)")
            cursor.execute(f"CREATE INDEX ON {PLAIN} (target_type, target_id)")
        before = AuditEvent.objects.count()  # the migrations' and the bureaus' own records
        print(f"migrated in {time.perf_counter() - started:.1f} s; {before} records from the set-up")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.writers} writer processes")

        total = args.writers * args.records
        chain_wall = run_writers("chain", args.writers, args.records, bureau.pk)
        plain_wall = run_writers("plain", args.writers, args.records, bureau.pk)
        print(f"\n1. {args.writers} processes x {args.records} records, one transaction each")
        print(f"   chained appends (audit_record): {chain_wall:7.2f} s  {total / chain_wall:8.0f} records/s")
        print(f"   plain inserts (the limit):      {plain_wall:7.2f} s  {total / plain_wall:8.0f} records/s")
        print(f"   chain / limit: {plain_wall / chain_wall:.2f} of the plain rate")

        written = AuditEvent.objects.filter(comment__startswith="bench ").values_list("extra", flat=True)
        pairs = sorted((e["writer"], e["i"]) for e in written)
        expected = [(w, i) for w in range(args.writers) for i in range(args.records)]
        seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
        walked = integrity.chain_verify()
        print(
            f"   every record once: {pairs == expected}; seq 1..{len(seqs)} without gap: "
            f"{seqs == list(range(1, len(seqs) + 1))}; chain walked intact: {walked.intact} ({walked.checked} records)"
        )
        if pairs != expected or not walked.intact:
            raise SystemExit("the chain forked or lost a record")

        latency = single_latency(args.single, bureau.pk)
        print(f"\n   one process, one append at a time ({args.single}):")
        print(f"   chained append: {stats(latency['chain'])}")
        print(f"   plain insert:   {stats(latency['plain'])}")

        hashing, loading = load_million(args.million, bureau.pk)
        length = AuditEvent.objects.count()
        print(
            f"\n2. {args.million:,} generated records: hashed in {hashing:.1f} s, COPY and VACUUM in {loading:.1f} s"
        )
        connections.close_all()
        started = time.perf_counter()
        out = io.StringIO()
        call_command("audit_verify", stdout=out)
        took = time.perf_counter() - started
        print(
            f"   manage.py audit_verify over {length:,} records: {took:.1f} s ({length / took:,.0f} records/s)"
        )
        print("   " + out.getvalue().strip().replace("\n", "\n   "))
    finally:
        connections.close_all()
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
