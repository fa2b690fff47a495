"""A burst of product runs drained by 4 Celery worker processes, one killed with SIGKILL
mid-run; then the same with Redis (the broker) killed and restarted mid-burst (issue 18).

Each phase queues ``--runs`` runs (``bvalue`` over our own catalog) in ``--distinct`` parameter
sets (``min_events``), interleaved: each set is computed and drawn once (about 3 s of figures on
a loaded core) and its other runs end as reuses of the stored result (the engine's path for a
repeated request), or, when several of a set run at once, as the collision path of
``execution._finish``. All go through ``products.services.runs.run_create``
(the service behind the API and the pages), with 4 workers (``celery worker -P solo``: one
process each, acks late, prefetch 1) draining them. Then it checks, and prints as counts:

* every run ended ``succeeded`` (none lost, none failed), within the time bound;
* every run was finished exactly once: one ``product_run.succeed`` or ``.reuse`` record in the audit chain
  per run, whatever number of attempts (a redelivered message whose run had already finished
  does nothing);
* none half-stored: each succeeded run has its result and its figure files, and no run
  directory exists for a run that did not succeed;
* how many runs were attempted more than once (the messages the kill or the restart
  handed to another worker after the visibility timeout).

Run:  .venv/bin/python bench/scale/burst.py [--runs 1000] [--workers 4] [--phase kill|redis|both]
Starts its own PostgreSQL and Redis (6393, append-only file fsynced on every write) and the
workers under /tmp; stops them. The broker's visibility timeout is 30 s here (3600 s in
production, settings CELERY_VISIBILITY_TIMEOUT), so a killed worker's run comes back quickly.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procs

VISIBILITY_S = 30
REDIS_PORT = int(os.environ.get("SCALE_REDIS_PORT", "6393"))


def worker(stack: procs.Stack, n: int, env: dict[str, str]) -> Any:
    return stack.spawn(
        f"worker{n}",
        [
            str(procs.VENV / "celery"),
            "-A",
            "portal",
            "worker",
            "-P",
            "solo",
            "-n",
            f"w{n}@scale",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",  # "Task ... received" / "succeeded": which run each worker holds
        ],
        env=env,
    )


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def holding(stack: procs.Stack, names: list[str], pool: list[Any]) -> tuple[Any, int | None]:
    """A worker that is computing a run now (its log received the run's task and has not
    finished it, and the run is running), and that run's id; the busiest worker otherwise."""
    import re

    from products.models import ProductRun, RunStatus

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for name, proc in zip(names, pool, strict=True):
            text = (stack.root / f"{name}.log").read_text(errors="replace")
            received = re.findall(r"Task products\.run\[([0-9a-f-]+)\] received", text)
            if not received or f"products.run[{received[-1]}] succeeded" in text:
                continue
            run = ProductRun.objects.filter(task_id=received[-1].replace("-", "")).first() or (
                ProductRun.objects.filter(task_id=received[-1]).first()
            )
            if run is not None and run.status == RunStatus.RUNNING:
                return proc, run.pk
        time.sleep(0.05)
    before = {proc.pid: cpu_ticks(proc.pid) for proc in pool}
    time.sleep(0.3)
    return max(pool, key=lambda proc: cpu_ticks(proc.pid) - before[proc.pid]), None


def counts(ids: list[int]) -> dict[str, int]:
    from django.db.models import Count

    from products.models import ProductRun

    rows = ProductRun.objects.filter(pk__in=ids).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def verify(ids: list[int]) -> dict[str, int]:
    from django.db.models import Count

    from portal.models import AuditEvent
    from products.models import ProductRun, RunStatus
    from products.services.execution import run_directory

    runs = list(ProductRun.objects.filter(pk__in=ids))
    finished = {
        int(row["target_id"]): row["n"]
        for row in AuditEvent.objects.filter(
            action__in=["product_run.succeed", "product_run.reuse"], target_id__in=[str(i) for i in ids]
        )
        .values("target_id")
        .annotate(n=Count("id"))
    }
    half = 0
    for run in runs:
        directory = run_directory(run.bureau_id, run.figure_run_id)  # a reuse shows its source's files
        if run.status == RunStatus.SUCCEEDED:
            files_ok = bool(run.figures) and all((directory / name).is_file() for name in run.figures)
            if not run.result or not files_ok:
                half += 1
        elif run_directory(run.bureau_id, run.pk).exists():
            half += 1
    succeeded = [r for r in runs if r.status == RunStatus.SUCCEEDED]

    def mean_of(key: str) -> float:
        return sum(float(r.provenance.get(key) or 0) for r in succeeded) / max(1, len(succeeded))

    print(
        f"mean per succeeded run: read {mean_of('input_read_s'):.2f} s, compute {mean_of('compute_s'):.3f} s, "
        f"figures {mean_of('figures_s'):.2f} s"
    )
    tmp_left = sum(1 for _ in Path(os.environ["PORTAL_MEDIA_ROOT"]).glob("products/*/.tmp/*"))
    return {
        "runs": len(runs),
        "succeeded": sum(r.status == RunStatus.SUCCEEDED for r in runs),
        "failed": sum(r.status == RunStatus.FAILED for r in runs),
        "not finished": sum(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs),
        "finished exactly once": sum(finished.get(r.pk) == 1 for r in runs),
        "finished more than once": sum(finished.get(r.pk, 0) > 1 for r in runs),
        "attempted more than once": sum(r.attempts > 1 for r in runs),
        "half-stored": half,
        "temporary dirs of killed attempts left": tmp_left,
    }


def phase(
    stack: procs.Stack,
    info: dict[str, Any],
    *,
    name: str,
    runs: int,
    distinct: int,
    workers: int,
    offset: int,
    timeout_s: float,
    redis_proc: list[Any],
) -> tuple[dict[str, int], bool]:
    from portal.models import User
    from portal.tenancy import actor_for
    from products.services import runs as run_services

    print(f"\n== phase {name}: {runs} runs ({distinct} parameter sets), {workers} workers", flush=True)
    env = info["env"]
    names = [f"worker{offset * 10 + n}" for n in range(workers)]
    pool = [worker(stack, offset * 10 + n, env) for n in range(workers)]
    actor = actor_for(User.objects.get(username="scale"), "JX")
    box = {"minlatitude": 24.5, "maxlatitude": 30.1, "minlongitude": 113.5, "maxlongitude": 118.5}
    t0 = time.monotonic()
    ids = [
        run_services.run_create(
            actor=actor,
            method="bvalue",
            params={"min_events": 10 + offset * distinct + i % distinct},
            catalog=box,
        ).pk
        for i in range(runs)
    ]
    print(f"queued {len(ids)} runs in {time.monotonic() - t0:.1f} s", flush=True)
    disrupted = False
    deadline = time.monotonic() + timeout_s
    last_print = 0.0
    last_done, progressed, swept = -1, time.monotonic(), 0
    while time.monotonic() < deadline:
        state = counts(ids)
        done = state.get("succeeded", 0) + state.get("failed", 0)
        if not disrupted and done >= runs // 4:
            disrupted = True
            if name == "kill":
                victim, held = holding(stack, names, pool)  # the one computing a run right now
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait(10)
                print(
                    f"{time.monotonic() - t0:6.1f} s: SIGKILL to worker pid {victim.pid}, computing run #{held}, at {done} done",
                    flush=True,
                )
            else:
                proc = redis_proc[0]
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
                print(
                    f"{time.monotonic() - t0:6.1f} s: SIGKILL to Redis at {done} done; restarting in 3 s",
                    flush=True,
                )
                time.sleep(3)
                redis_proc[0] = stack.redis(REDIS_PORT)
                print(
                    f"{time.monotonic() - t0:6.1f} s: Redis back (its append-only file replayed)", flush=True
                )
        if done >= runs:
            break
        if done != last_done:
            last_done, progressed = done, time.monotonic()
        elif time.monotonic() - progressed > 2 * VISIBILITY_S + 15 and not swept:
            # Nothing moved for two visibility timeouts: a message is gone for good (Redis lost
            # a message between its BRPOP and the unacknowledged copy, or an enqueue failed while
            # it was down). The portal.jobs_watchdog beat job requeues a run queued longer than
            # STALE_QUEUED; run it now as it will run then, instead of waiting ten minutes.
            from django.utils import timezone

            from portal.jobs import watchdog
            from products.services.runs import STALE_QUEUED

            touched = watchdog(now=timezone.now() + STALE_QUEUED)
            swept = sum(len(v) for v in touched.values())
            print(
                f"{time.monotonic() - t0:6.1f} s: no progress for {2 * VISIBILITY_S + 15} s; the job watchdog "
                f"(as beat runs it {STALE_QUEUED} later) requeued {touched}",
                flush=True,
            )
            progressed = time.monotonic()
        if time.monotonic() - last_print > 15:
            last_print = time.monotonic()
            print(f"{time.monotonic() - t0:6.1f} s: {state}", flush=True)
        time.sleep(1)
    elapsed = time.monotonic() - t0
    result = verify(ids)
    result["requeued by the watchdog"] = swept
    for proc in pool:
        stack.stop(proc)
    ok = (
        result["succeeded"] == runs
        and result["finished exactly once"] == runs
        and result["half-stored"] == 0
        and result["not finished"] == 0
    )
    print(
        f"phase {name}: drained in {elapsed:.1f} s ({runs / elapsed:.1f} runs/s) -> "
        + ", ".join(f"{k} {v}" for k, v in result.items())
        + f" => {'ok' if ok else 'FAIL'}",
        flush=True,
    )
    return result, ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--distinct", type=int, default=50, help="parameter sets computed (the rest reuse)")
    parser.add_argument("--events", type=int, default=3000, help="events in the catalog the runs read")
    parser.add_argument("--phase", choices=["kill", "redis", "both"], default="both")
    parser.add_argument("--timeout", type=float, default=1500, help="seconds a phase may take")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    procs.raise_nofile()
    with procs.Stack("burst", keep=args.keep) as stack:
        template = procs.pg_template(args.fresh)
        db_url = stack.postgres(procs.free_port(), template=template, name="primary")
        redis = [stack.redis(REDIS_PORT)]
        media = stack.root / "media"
        media.mkdir()
        env = procs.portal_env(
            db_url,
            redis_port=REDIS_PORT,
            media=media,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_S),
            CELERY_UNACKED_RESTORE_INTERVAL="2",
            CELERY_UNACKED_RESTORE_THROTTLE="1",
            MPLBACKEND="Agg",
        )
        procs.seed(env, "--events", str(args.events))
        info = {"env": env}
        os.environ.update(env)
        sys.path[:0] = [str(procs.ROOT), str(procs.HERE)]
        import django

        django.setup()
        print(
            f"{os.cpu_count()} CPUs (shared), load average {os.getloadavg()}; visibility timeout "
            f"{VISIBILITY_S} s; catalog of {args.events} events"
        )
        oks = []
        phases = ["kill", "redis"] if args.phase == "both" else [args.phase]
        for offset, name in enumerate(phases):
            _, ok = phase(
                stack,
                info,
                name=name,
                runs=args.runs,
                distinct=args.distinct,
                workers=args.workers,
                offset=offset,
                timeout_s=args.timeout,
                redis_proc=redis,
            )
            oks.append(ok)
        print(f"load average at the end {os.getloadavg()}")
        from django.db import connections

        connections.close_all()
    sys.exit(0 if all(oks) else 1)


if __name__ == "__main__":
    main()
