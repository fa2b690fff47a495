"""The product engine: runs, reuse by hash, provenance, failures, reruns, killed workers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.exceptions import PermissionDenied
from portal.models import AuditEvent
from products import provenance
from products.inputs import read_rows, rows_hash
from products.models import ProductRun
from products.services import execution as execution_services
from products.services import runs as run_services

pytestmark = pytest.mark.django_db

BVALUE = {"method": "bvalue", "params": {"mc": 2.0}, "catalog": {"jurisdiction": True}}


def _run(actor, capture, **request):
    with capture(execute=True):
        run = run_services.run_create(actor=actor, **(request or BVALUE))
    run.refresh_from_db()
    return run


def test_bvalue_run_succeeds_with_result_figures_and_provenance(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    # given
    make_events(jx, 600)
    # when
    run = _run(as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    # then
    assert run.status == ProductRun.Status.SUCCEEDED
    assert run.progress == 100
    assert run.input_count == 600
    assert 0.8 < run.result["b"] < 1.2
    assert run.result["mc"] == 2.0
    assert run.figures == ["bvalue.png", "bvalue.svg"]
    directory = execution_services.run_directory(jx.pk, run.pk)
    assert (directory / "bvalue.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (directory / "bvalue.svg").read_bytes()[:400]
    assert run.provenance["code_version"] == provenance.code_version()
    assert run.provenance["methods_sha256"] == provenance.methods_sha256()
    assert run.provenance["input_sha256"] == run.input_hash
    assert run.params_hash == provenance.params_hash("bvalue", run.params)
    assert run.params["mc"] == 2.0
    assert run.params["estimator"] == "aki_utsu"
    assert run.selection == {"jurisdiction": True}
    actions = list(
        AuditEvent.objects.filter(target_type="products.productrun", target_id=str(run.pk))
        .order_by("id")
        .values_list("action", "to_state")
    )
    assert actions == [
        ("product_run.create", "queued"),
        ("product_run.start", "running"),
        ("product_run.succeed", "succeeded"),
    ]


def test_input_hash_is_sha256_of_sorted_rows(jx, make_events):
    from catalog.models import Event

    make_events(jx, 30)
    rows = read_rows(Event.objects.all())
    again = read_rows(Event.objects.order_by("-magnitude"))
    assert list(rows.ids) == sorted(rows.ids)
    assert rows_hash(rows) == rows_hash(again) == rows.hash()
    first = Event.objects.order_by("id").first()
    assert rows.times[0].astype("datetime64[us]").item() == first.origin_time.replace(tzinfo=None)
    Event.objects.filter(pk=first.pk).update(magnitude=first.magnitude + 0.1)
    assert read_rows(Event.objects.all()).hash() != rows.hash()


def test_same_method_params_and_input_reuse_the_stored_result(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    # given
    make_events(jx, 400)
    actor = as_actor(jx_forecaster)
    first = _run(actor, django_capture_on_commit_callbacks)
    # when: the same request, spelled differently (defaults given explicitly)
    second = _run(
        actor,
        django_capture_on_commit_callbacks,
        method="bvalue",
        params={"mc": 2.0, "estimator": "aki_utsu"},
        catalog={"jurisdiction": True},
    )
    # then
    assert second.status == ProductRun.Status.SUCCEEDED
    assert second.reused_from_id == first.pk
    assert second.result == first.result
    assert second.figures == first.figures
    assert second.figure_run_id == first.pk
    assert not execution_services.run_directory(jx.pk, second.pk).exists()  # no second copy of the figures
    assert ProductRun.objects.filter(status="succeeded", reused_from__isnull=True).count() == 1


def test_changed_input_or_params_compute_again(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 400)
    actor = as_actor(jx_forecaster)
    first = _run(actor, django_capture_on_commit_callbacks)
    make_events(jx, 50, seed=9)
    more = _run(actor, django_capture_on_commit_callbacks)
    other = _run(
        actor,
        django_capture_on_commit_callbacks,
        method="bvalue",
        params={"mc": 2.2},
        catalog={"jurisdiction": True},
    )
    assert (more.reused_from_id, other.reused_from_id) == (None, None)
    assert more.input_hash != first.input_hash
    assert other.params_hash != first.params_hash
    assert other.input_hash == more.input_hash


def test_too_few_events_fail_with_how_many_it_had_and_needs(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 12)
    run = _run(as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert run.status == ProductRun.Status.FAILED
    assert run.error in (
        "数据不足：选择结果有 12 个，该方法至少需要 50 个。 (bvalue needs at least 50 events; the selection has 12)",
        "Not enough data: the selection has 12, the method needs 50. "
        "(bvalue needs at least 50 events; the selection has 12)",
    )
    assert run.result is None
    assert run.figures == []
    assert run.finished_at is not None


def test_empty_selection_fails_with_a_message(
    jx, jx_forecaster, as_actor, django_capture_on_commit_callbacks
):
    run = _run(as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert run.status == ProductRun.Status.FAILED
    assert "the selection has 0" in run.error


def test_degenerate_magnitudes_fail_without_a_crash(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    import numpy as np

    make_events(jx, 200, mags=np.full(200, 3.0))
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="bvalue",
        params={},
        catalog={"jurisdiction": True},
    )
    assert run.status == ProductRun.Status.FAILED
    assert run.error
    assert run.result is None


def test_jurisdiction_selection_leaves_out_events_outside(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    import numpy as np

    make_events(jx, 300)
    make_events(jx, 100, seed=5, lat=np.full(100, 40.0), lon=np.full(100, 100.0))  # in NM, not JX
    run = _run(as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert run.input_count == 300
    everything = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="bvalue",
        params={"mc": 2.0},
        catalog={},
    )
    assert everything.input_count == 400


def test_viewer_cannot_request_runs(jx_viewer, as_actor):
    with pytest.raises(PermissionDenied):
        run_services.run_create(actor=as_actor(jx_viewer), **BVALUE)
    assert ProductRun.objects.count() == 0


def test_rerun_of_a_failed_run_is_idempotent(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    # given: a run that failed for lack of data
    make_events(jx, 20)
    actor = as_actor(jx_forecaster)
    run = _run(actor, django_capture_on_commit_callbacks)
    assert run.status == "failed"
    make_events(jx, 400, seed=3)
    # when: rerun twice in one go (a double click), then once more after it succeeded
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_services.run_rerun(actor=actor, run=run)
        run_services.run_rerun(actor=actor, run=run)
    run.refresh_from_db()
    result = run.result
    with django_capture_on_commit_callbacks(execute=True) as later:
        run_services.run_rerun(actor=actor, run=run)
    run.refresh_from_db()
    # then: one execution, one result, unchanged by the later rerun
    assert len([c for c in callbacks if "apply_async" in repr(c.__code__.co_names)]) == 1
    assert run.status == "succeeded"
    assert run.error == ""
    assert run.attempts == 2
    assert run.result == result
    assert later == []
    assert ProductRun.objects.count() == 1


def test_other_bureau_cannot_rerun(
    jx, jx_forecaster, nm_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 5)
    run = _run(as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        run_services.run_rerun(actor=as_actor(nm_forecaster), run=run)
    run.refresh_from_db()
    assert run.status == "failed"


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the engine may catch it."""


def test_a_worker_killed_after_drawing_leaves_no_half_result_and_is_requeued(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    # given: a queued run
    make_events(jx, 400)
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    seen = {}

    def die_after_figures(step):
        if step == "figures":
            seen["tmp"] = sorted(p.name for p in execution_services._temporary_root(jx.pk).glob("*/*"))
            raise Killed

    # when: the worker dies after writing its figures to the temporary directory
    with pytest.raises(Killed):
        execution_services.run_execute(
            bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id, after_step=die_after_figures
        )
    # then: figures had been written, but nothing of them is stored or visible
    assert seen["tmp"] == ["bvalue.png", "bvalue.svg"]
    run.refresh_from_db()
    assert (run.status, run.result, run.figures, run.progress < 100) == ("running", None, [], True)
    assert not execution_services.run_directory(jx.pk, run.pk).exists()
    # when: the beat job finds it stale after the time limit
    later = timezone.now() + timedelta(seconds=run_services.TIME_LIMIT + 120)
    old_task = run.task_id
    with django_capture_on_commit_callbacks(execute=True):
        touched = execution_services.runs_requeue_stale(now=later)
    # then: it ran again under a new task id and completed in full
    run.refresh_from_db()
    assert touched == [run.pk]
    assert run.status == "succeeded"
    assert run.task_id != old_task
    assert run.attempts == 2
    assert sorted(p.name for p in execution_services.run_directory(jx.pk, run.pk).iterdir()) == [
        "bvalue.png",
        "bvalue.svg",
    ]


def test_a_redelivered_task_resumes_and_a_superseded_one_does_nothing(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 400)
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    with pytest.raises(Killed):
        execution_services.run_execute(
            bureau_id=jx.pk,
            run_id=run.pk,
            task_id=run.task_id,
            after_step=lambda step: (_ for _ in ()).throw(Killed) if step == "input" else None,
        )
    assert execution_services.run_execute(bureau_id=jx.pk, run_id=run.pk, task_id="someone-else") is None
    resumed = execution_services.run_execute(bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id)
    assert resumed.status == "succeeded"
    assert (
        execution_services.run_execute(bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id) is None
    )  # done: no-op


def test_a_message_delivered_again_while_the_first_worker_computes_stores_one_result(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    """The broker's visibility timeout passed while a worker still computed (or that worker
    lost its connection): a second worker gets the same message and runs the same attempt.
    Whichever finishes first stores the result; the other stores nothing, leaves no files
    and records no second success (issue 18, bench/scale/burst.py)."""
    make_events(jx, 400)
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    second: list[ProductRun | None] = []

    def meanwhile(step: str) -> None:
        if step == "figures" and not second:  # the first worker drew its figures; the second runs whole
            second.append(execution_services.run_execute(bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id))

    first = execution_services.run_execute(
        bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id, after_step=meanwhile
    )
    assert second[0] is not None
    assert second[0].status == "succeeded"
    assert first is not None
    assert first.status == "succeeded"
    run.refresh_from_db()
    assert run.attempts == 2
    assert AuditEvent.objects.filter(action="product_run.succeed", target_id=str(run.pk)).count() == 1
    assert sorted(p.name for p in execution_services.run_directory(jx.pk, run.pk).iterdir()) == [
        "bvalue.png",
        "bvalue.svg",
    ]
    temporary = execution_services.run_directory(jx.pk, run.pk).parent / ".tmp"
    assert not any(temporary.iterdir()) if temporary.exists() else True


def test_a_run_stuck_too_often_is_failed_with_a_reason(jx, jx_forecaster, as_actor, make_events):
    make_events(jx, 400)
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    ProductRun.objects.filter(pk=run.pk).update(
        status="running", attempts=run_services.MAX_ATTEMPTS, started_at=timezone.now() - timedelta(hours=2)
    )
    from django.utils import translation

    with translation.override("en"):
        execution_services.runs_requeue_stale()
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "Gave up after 3 attempts: none finished within 900 seconds."


def test_omori_reads_the_mainshock_sequence(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    import numpy as np

    from products.methods.omori import simulate

    times = simulate(60.0, 0.05, 1.1, 30.0, np.random.default_rng(4))
    make_events(
        jx,
        1,
        prefix="main",
        mags=np.array([6.1]),
        lat=np.array([28.0]),
        lon=np.array([115.0]),
        times=np.array([0.0]),
    )
    make_events(
        jx,
        times.size,
        prefix="after",
        seed=7,
        lat=np.full(times.size, 28.05),
        lon=np.full(times.size, 115.02),
        times=times,
    )
    make_events(jx, 50, prefix="far", seed=8, lat=np.full(50, 26.0), lon=np.full(50, 114.0))  # 250 km away
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="omori",
        params={"mainshock": "main1-0", "radius_km": 30, "days": 30},
    )
    assert run.status == "succeeded", run.error
    assert run.input_count == times.size + 1
    assert run.selection["sequence"]["mainshock"] == "main1-0"
    assert run.selection["maxradius"] == pytest.approx(30 / 111.19492664455873, abs=1e-6)
    assert 0.9 < run.result["p"] < 1.4
    assert run.result["n"] == times.size


def test_forecast_score_with_forecasts_given(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    import numpy as np

    make_events(jx, 40, mags=np.full(40, 5.0))
    params = {
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "forecasts": [
            {
                "start": "2025-01-01",
                "end": "2026-01-01",
                "mag_min": 4.5,
                "probability": 0.5,
                "polygon": [[114, 26], [115.5, 26], [115.5, 29], [114, 29]],
            }
        ],
        "region": [[114, 26], [117, 26], [117, 29], [114, 29]],
    }
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="forecast_score",
        params=params,
        catalog={},
    )
    assert run.status == "succeeded", run.error
    assert run.result["n_events"] == 40
    assert run.result["alarm_fraction"] == pytest.approx(0.5, abs=0.01)


def test_sequence_type_takes_foreshocks_before_the_mainshock(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    import numpy as np

    make_events(
        jx,
        1,
        prefix="fore",
        mags=np.array([5.0]),
        lat=np.array([28.0]),
        lon=np.array([115.0]),
        times=np.array([8.0]),
    )
    make_events(
        jx,
        1,
        prefix="main",
        mags=np.array([6.0]),
        lat=np.array([28.0]),
        lon=np.array([115.0]),
        times=np.array([10.0]),
    )
    make_events(
        jx,
        30,
        prefix="after",
        seed=3,
        mags=np.full(30, 3.0),
        lat=np.full(30, 28.01),
        lon=np.full(30, 115.01),
        times=np.linspace(10.1, 20.0, 30),
    )
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="sequence_type",
        params={"mainshock": "main1-0", "radius_km": 20, "days": 15},
    )
    assert run.status == "succeeded", run.error
    assert run.input_count == 32
    assert run.selection["sequence"]["days_before"] == 10.0
    assert run.result["type"] == "foreshock_mainshock_aftershock"


def test_grid_run_page_draws_an_interactive_map(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    from django.test import Client

    make_events(jx, 2000)
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="bvalue_grid",
        params={"cell": 0.5, "nearest": 200},
        catalog={"jurisdiction": True},
    )
    assert run.status == "succeeded", run.error
    client = Client()
    client.force_login(jx_forecaster)
    html = client.get(f"/products/runs/{run.pk}/").content.decode()
    assert 'id="grid-map"' in html
    assert 'data-value="b"' in html
    assert 'id="run-result"' in html
    assert run.result["n_cells"] > 0


def test_transient_database_errors_propagate_for_the_task_to_retry(
    jx, jx_forecaster, as_actor, make_events, monkeypatch
):
    from django.db import OperationalError

    from products.tasks import product_run_task

    # the task retries exactly the transient errors, with a bounded number of attempts
    assert OperationalError in product_run_task.autoretry_for
    assert (product_run_task.max_retries, product_run_task.time_limit) == (3, run_services.TIME_LIMIT)
    make_events(jx, 300)
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    real = execution_services._load_inputs
    calls = []

    def flaky(run):
        calls.append(run.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(run)

    monkeypatch.setattr(execution_services, "_load_inputs", flaky)
    # when: the first attempt meets a dropped connection
    with pytest.raises(OperationalError):
        execution_services.run_execute(bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id)
    # then: the run is not failed, and the retry (same task id) completes it
    run.refresh_from_db()
    assert (run.status, run.error) == ("running", "")
    retried = execution_services.run_execute(bureau_id=jx.pk, run_id=run.pk, task_id=run.task_id)
    assert retried.status == "succeeded"
    assert retried.attempts == 2
    assert len(calls) == 2


def test_stored_forecasts_are_scored_polygon_by_polygon(
    jx, jx_forecaster, as_actor, make_events, monkeypatch, django_capture_on_commit_callbacks
):
    import datetime as dt

    import numpy as np

    from products import selectors

    make_events(jx, 20, mags=np.full(20, 5.0), lat=np.full(20, 27.0), lon=np.full(20, 115.0))
    asked = {}

    def stored(*, bureau, start, end):
        asked.update(bureau=bureau.code, start=start, end=end)
        square = [[[114.5, 26.5], [115.5, 26.5], [115.5, 27.5], [114.5, 27.5], [114.5, 26.5]]]
        return [
            {
                "window_start": dt.date(2025, 1, 1),
                "window_end": dt.date(2025, 12, 31),
                "region": {"type": "MultiPolygon", "coordinates": [square]},
                "min_magnitude": 4.5,
                "max_magnitude": None,
                "likelihood": "high",
                "bureau": "JX",
                "meeting_id": 1,
            }
        ]

    monkeypatch.setattr(selectors, "forecasts_for_scoring", stored)
    run = _run(
        as_actor(jx_forecaster),
        django_capture_on_commit_callbacks,
        method="forecast_score",
        params={"period_start": "2025-01-01", "period_end": "2025-12-31"},
        catalog={},
    )
    assert run.status == "succeeded", run.error
    assert asked == {"bureau": "JX", "start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)}
    assert (run.result["hits"], run.result["n_events"]) == (20, 20)


def test_the_job_watchdog_requeues_stale_runs_every_two_minutes():
    from portal import jobs
    from portal.celery import app
    from products.tasks import product_requeue_stale_task

    entry = app.conf.beat_schedule["portal.jobs_watchdog"]
    assert entry == {"task": "portal.jobs_watchdog", "schedule": 120.0}
    assert "products.run" in [kind.name for kind in jobs.kinds()]
    assert product_requeue_stale_task.name == "products.requeue_stale"
    assert product_requeue_stale_task.apply().get() == []


def test_two_runs_computing_the_same_key_at_once_end_as_one_result_and_one_reuse(
    jx, jx_forecaster, as_actor, make_events, monkeypatch, django_capture_on_commit_callbacks
):
    # given: run B was already past its reuse check when run A stored the same result
    make_events(jx, 400)
    actor = as_actor(jx_forecaster)
    first = _run(actor, django_capture_on_commit_callbacks)
    second = run_services.run_create(actor=actor, **BVALUE)
    monkeypatch.setattr(execution_services, "_try_reuse", lambda run, task_id: None)
    # when: B computes and stores
    finished = execution_services.run_execute(bureau_id=jx.pk, run_id=second.pk, task_id=second.task_id)
    # then: the unique constraint turned B into a reuse of A; B's files were not kept
    assert finished.status == "succeeded"
    assert finished.reused_from_id == first.pk
    assert not execution_services.run_directory(jx.pk, second.pk).exists()
    assert ProductRun.objects.filter(status="succeeded", reused_from__isnull=True).count() == 1


def test_a_queued_run_whose_message_was_lost_is_sent_again(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    # given: a run queued while the broker was down (its on-commit send never happened)
    make_events(jx, 300)
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    ProductRun.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(minutes=20))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        touched = execution_services.runs_requeue_stale()
    # then
    run.refresh_from_db()
    assert touched == [run.pk]
    assert run.status == "succeeded"
    assert run.attempts == 1
