"""Recognition-rule benchmark (issue 13): a rule run over all demo channels.

Run:  .venv/bin/python bench/rules_bench.py [--months 13] [--keep]

Creates the database ispec_bench_rules (dropped at the end unless --keep), migrates it,
makes the bureaus, the demo people and the demo's stations and channels, loads the demo
series (``observations.series_demo.seed(qc="skip")``, not timed). One rule per bureau and
discipline covers every demo minute channel: fluids ``trend_residual`` (the demo rule's
parameters), deformation ``k_sigma`` (linear detrend), electromagnetism ``daily_value``
(a threshold far off: nothing found). Then times, per channel and in total:

* the limit: reading the look-back's samples with the run's reader
  (``products.series_inputs.read_series``: samples + QC exclusions), and the method alone on
  those in-memory arrays (``registry.run``);
* the evaluation (``recognition.services.rule_evaluate``): a product run per channel through
  the engine (request, read, hash, compute, figures, store), spans, detections and anomalies;
* the same evaluation again on unchanged data (every run a reuse of the stored result).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = "ispec_bench_rules"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

RULES = {
    "fluid": ("trend_residual", {"trend": "moving", "window_days": 60, "k": 5.0, "min_days": 5}, None),
    "deformation": ("k_sigma", {"detrend": "linear", "k": 4.0, "min_days": 5}, None),
    "electromagnetism": ("daily_value", {}, 1e9),
}


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--window", type=int, default=365, help="look-back of each rule (days)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        PORTAL_MEDIA_ROOT=tempfile.mkdtemp(prefix="ispec-bench-media-"),
        LOG_LEVEL="WARNING",
    )
    admin(f"DROP DATABASE IF EXISTS {DB}")
    admin(f"CREATE DATABASE {DB}")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from observations import demo, series_demo
        from observations.models import Channel
        from portal import demo as portal_demo
        from portal.models import Bureau, User
        from portal.tenancy import actor_for
        from products.methods import registry
        from products.series_inputs import read_series
        from recognition import selectors, services
        from recognition.models import Detection

        portal_demo.load_disciplines()
        portal_demo.load_bureaus()
        portal_demo.load_demo_people()
        for code, rows in demo.STATIONS.items():
            bureau = Bureau.objects.get(code=code)
            for row in rows:
                demo._channels(bureau, demo._station(bureau, row))
        today = dt.date(2026, 11, 30)
        loaded = series_demo.seed(today=today, months=args.months, qc="skip")
        rules = []
        for code in demo.STATIONS:
            for discipline, (method, params, threshold) in RULES.items():
                short = {"fluid": "fluid", "deformation": "deform", "electromagnetism": "em"}[discipline]
                actor = actor_for(User.objects.get(username=f"{code.lower()}_expert_{short}"), code)
                wanted = Channel.objects.filter(bureau__code=code, discipline__code=discipline, interval=60)
                ids = list(wanted.values_list("pk", flat=True))
                if not ids:
                    continue
                rules.append(
                    services.rule_create(
                        actor=actor,
                        data={
                            "name": f"bench {discipline}",
                            "discipline": discipline,
                            "method": method,
                            "params": params,
                            "channels": ids,
                            "threshold": threshold,
                            "window_days": args.window,
                            "persist_days": 3,
                        },
                    )
                )
        n = sum(len(selectors.rule_channels(rule=r)) for r in rules)
        print(
            f"{len(rules)} rules over {n} channels, look-back {args.window} days of minute samples "
            f"({loaded['samples']:,} samples stored over {args.months} months)"
        )
        read_s = method_s = 0.0
        for rule in rules:
            for channel in selectors.rule_channels(rule=rule):
                last = selectors.channel_last_day(channel_id=channel.pk)
                end = dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(days=1)
                part = {
                    "channel": channel.pk,
                    "start": (end - dt.timedelta(days=args.window)).isoformat(),
                    "end": end.isoformat(),
                }
                t = time.perf_counter()
                series = read_series(bureau=rule.bureau, selection=[part])
                read_s += time.perf_counter() - t
                t = time.perf_counter()
                registry.run(rule.method, {"series": series}, rule.params)
                method_s += time.perf_counter() - t
        print(f"read the samples (limit):   {1000 * read_s / n:7.1f} ms/channel  total {read_s:6.2f} s")
        print(f"method alone (limit):       {1000 * method_s / n:7.1f} ms/channel  total {method_s:6.2f} s")
        for label in ("rule evaluation, first:    ", "again, data unchanged:     "):
            t = time.perf_counter()
            for rule in rules:
                services.rule_evaluate(rule_id=rule.pk)
            took = time.perf_counter() - t
            print(f"{label}{1000 * took / n:7.1f} ms/channel  total {took:6.2f} s")
        print(
            f"injected anomaly: channel {loaded['anomaly']['channel']} from {loaded['anomaly']['onset'][:10]}"
        )
        for d in Detection.objects.select_related("channel__station", "rule").order_by("start"):
            print(
                f"detection: {d.rule.method} channel {d.channel_id} {d.channel.station.code} {d.start} – {d.end}"
            )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
