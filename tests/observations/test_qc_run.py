"""The QC run over stored series: the demo's injected faults all found and nothing else,
whole missing days, re-checks (reviews kept or superseded), the import hook, the hourly
job, the command and the excluded spans."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from observations import qc_selectors, series_demo
from observations.models import QcDay, QcFlag, QcReview, SeriesDay
from observations.services import qc_run
from observations.services.series_import import series_import_file
from observations.services.series_store import series_write
from portal.models import AuditEvent
from tests.observations.factories import ChannelFactory, ObservationItemFactory, StationFactory
from tests.observations.test_series_demo import _network

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)
DAY0 = dt.date(2026, 3, 1)
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_demo_faults_are_all_found_and_nothing_else(jx, nm):
    channels = _network(jx, "JXD") + _network(nm, "NMD")
    result = series_demo.seed(today=TODAY, months=8)
    print(f"\nQC of {len(channels)} channels x {round(8 * 30.44)} days: {result['qc_seconds']} s")
    storms = [_parse(s) for s in result["storm_starts"]]
    allowed_departures: set[tuple[int, dt.date]] = set()
    expected: set[tuple[int, str, dt.datetime]] = set()
    for channel_id, faults in result["faults"].items():
        channel_id = int(channel_id)
        for fault in faults:
            when = _parse(fault.get("time") or fault["start"])
            expected.add((channel_id, fault["kind"], when))
            if fault["kind"] in ("gap", "step"):
                # the long-term check sees the same fault in the day's mean (the step: until
                # the long term has taken in the new level)
                for d in range(3 if fault["kind"] == "step" else 1):
                    allowed_departures.add((channel_id, when.date() + dt.timedelta(days=d)))
    geomagnetic = {c.pk for c in channels if c.item.code.startswith("GM_")}
    for channel_id in geomagnetic:
        for storm in storms:  # a storm is a real departure of the day's mean
            for d in range(2):
                allowed_departures.add((channel_id, storm.date() + dt.timedelta(days=d)))
    anomaly = result["anomaly"]
    found = set()
    unexpected = []
    for flag in QcFlag.objects.select_related("qc_day"):
        when = flag.start
        if flag.kind == "spike":
            when = _parse(flag.detail["at"])
        key = (flag.channel_id, flag.kind, when)
        if key in expected:
            found.add(key)
        elif flag.kind == "departure" and (
            (flag.channel_id, flag.qc_day.day) in allowed_departures
            or (anomaly and flag.channel_id == anomaly["channel"] and flag.start >= _parse(anomaly["onset"]))
        ):
            continue
        else:
            unexpected.append((*key, flag.channel.item.code, flag.value, flag.detail))
    assert sorted(expected - found) == []
    assert unexpected == []
    # every day of every channel was checked and the faults' days are flagged
    assert QcDay.objects.count() == len(channels) * round(8 * 30.44)
    flagged = set(QcDay.objects.filter(flagged=True).values_list("channel_id", "day"))
    for channel_id, kind, when in expected:
        assert (channel_id, when.date()) in flagged, (channel_id, kind, when)
    gap_day = QcDay.objects.get(
        channel_id=next(c for c, k, _ in expected if k == "gap"),
        day=next(w for _, k, w in expected if k == "gap").date(),
    )
    assert (gap_day.gaps, gap_day.availability, gap_day.present) == (1, 75.0, 1080)


@pytest.fixture
def well(jx):
    station = StationFactory(bureau=jx, code="JXW")
    return ChannelFactory(
        station=station, item=ObservationItemFactory(code="WL", unit="m"), plausible_max=0.0
    )


def _tides(days: int, seed: int = 1) -> np.ndarray:
    hours = np.arange(days * 1440) / 60.0 + 230000
    rng = np.random.default_rng(seed)
    return series_demo._curve("WL", hours, rng, np.array([])).astype(np.float32)


def test_a_whole_missing_day_between_stored_days_counts_as_missing(well):
    values = _tides(5)
    values[2 * 1440 : 3 * 1440] = np.nan  # day 3 is never stored
    series_write(channel=well, start=T0, values=values, actor=None)
    assert not SeriesDay.objects.filter(channel=well, day=DAY0 + dt.timedelta(days=2)).exists()
    run = qc_run.qc_check_channel(well, now=LATER)
    assert (run.days, run.flagged) == (5, 1)
    missing = QcDay.objects.get(channel=well, day=DAY0 + dt.timedelta(days=2))
    assert (missing.availability, missing.expected, missing.present, missing.gaps, missing.flagged) == (
        0.0,
        1440,
        0,
        1,
        True,
    )
    gap = missing.flags.get()
    assert (gap.kind, gap.start, gap.end, gap.value) == (
        "gap",
        T0 + dt.timedelta(days=2),
        T0 + dt.timedelta(days=3),
        1440.0,
    )
    clean = QcDay.objects.get(channel=well, day=DAY0)
    assert (clean.availability, clean.gaps, clean.flagged, clean.spikes, clean.status) == (
        100.0,
        0,
        False,
        [],
        "auto",
    )


def test_a_gap_alone_on_a_mostly_available_day_is_recorded_not_flagged(well):
    values = _tides(2)
    values[600:660] = np.nan
    series_write(channel=well, start=T0, values=values, actor=None)
    qc_run.qc_check_days(well, DAY0, DAY0, now=LATER)
    day = QcDay.objects.get(channel=well, day=DAY0)
    assert (day.gaps, day.flagged, round(day.availability, 2)) == (1, False, 95.83)


def test_out_of_range_and_future_samples_are_flagged(well):
    values = _tides(2)
    values[100:103] = 5.0  # above the plausible maximum of 0 m
    series_write(channel=well, start=T0, values=values, actor=None)
    now = T0 + dt.timedelta(days=1, hours=12)
    qc_run.qc_check_days(well, DAY0, DAY0 + dt.timedelta(days=1), now=now)
    first, second = QcDay.objects.filter(channel=well).order_by("day")
    assert (first.out_of_range, first.flagged, first.spikes) == (3, True, [])
    assert (second.timestamp_faults, second.expected, second.present, second.flagged) == (720, 720, 720, True)
    fault = second.flags.get(kind="timestamp")
    assert (fault.start, fault.end) == (now, T0 + dt.timedelta(days=2))


def _review(day: QcDay, user, verdict: str = "ok") -> QcReview:
    QcDay.objects.filter(pk=day.pk).update(status="reviewed")  # as the review workflow leaves it
    return QcReview.objects.create(
        bureau=day.bureau, qc_day=day, verdict=verdict, reviewed_by=user, reviewed_at=timezone.now()
    )


def test_a_recheck_with_the_same_flags_keeps_the_review(well, jx_expert):
    values = _tides(1)
    values[500] += 1.0
    series_write(channel=well, start=T0, values=values, actor=None)
    qc_run.qc_check_days(well, DAY0, DAY0, now=LATER)
    day = QcDay.objects.get(channel=well)
    review = _review(day, jx_expert)
    run = qc_run.qc_check_days(well, DAY0, DAY0, now=LATER + dt.timedelta(hours=1))
    day.refresh_from_db()
    review.refresh_from_db()
    assert (run.changed, day.status, review.superseded, day.checked_at) == (
        0,
        "reviewed",
        False,
        LATER + dt.timedelta(hours=1),
    )


def test_a_recheck_with_other_flags_supersedes_the_review(well, jx_expert):
    values = _tides(1)
    values[500] += 1.0
    series_write(channel=well, start=T0, values=values, actor=None)
    qc_run.qc_check_days(well, DAY0, DAY0, now=LATER)
    day = QcDay.objects.get(channel=well)
    review = _review(day, jx_expert)
    values[500] -= 1.0  # re-imported without the spike
    series_write(channel=well, start=T0, values=values, actor=None)
    run = qc_run.qc_check_days(well, DAY0, DAY0, now=LATER)
    day.refresh_from_db()
    review.refresh_from_db()
    assert (run.changed, day.status, day.spikes, day.flagged, review.superseded) == (
        1,
        "auto",
        [],
        False,
        True,
    )
    assert list(day.flags.all()) == []
    event = AuditEvent.objects.get(action="qc_day.recheck")
    assert (event.from_state, event.to_state, event.actor_id) == ("reviewed", "auto", None)


def test_an_import_queues_the_check_of_the_days_it_touched(jx, well, django_capture_on_commit_callbacks):
    lines = ["time,JXW:WL"]
    values = _tides(2)
    for i in range(0, 2 * 1440):
        t = T0 + dt.timedelta(minutes=i)
        lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ},{values[i]:.4f}")
    with django_capture_on_commit_callbacks(execute=True):
        series_import_file(bureau=jx, data="\n".join(lines).encode(), file_format="csv", actor=None)
    assert list(QcDay.objects.filter(channel=well).values_list("day", "flagged")) == [
        (DAY0, False),
        (DAY0 + dt.timedelta(days=1), False),
    ]


def test_the_hourly_job_checks_new_and_changed_days_and_goes_on_past_a_failure(jx, well, monkeypatch):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="observations: QC of new days")
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "observations.qc_new_days",
        1,
        "hours",
        True,
    )
    other = ChannelFactory(station=well.station, item=ObservationItemFactory(code="WT", unit="°C"))
    series_write(channel=well, start=T0, values=_tides(2), actor=None)
    series_write(channel=other, start=T0, values=_tides(1, seed=2) + 30, actor=None)
    real = qc_run.qc_check_days

    def broken(channel, *args, **kwargs):
        if channel.pk == well.pk:
            raise RuntimeError("broken channel")
        return real(channel, *args, **kwargs)

    monkeypatch.setattr(qc_run, "qc_check_days", broken)
    assert qc_run.qc_new_days() == {"channels": 1, "failed": 1, "days": 1, "flagged": 0}
    monkeypatch.setattr(qc_run, "qc_check_days", real)
    from observations.tasks import qc_new_days_task

    assert qc_new_days_task.delay().get() == {"channels": 1, "failed": 0, "days": 2, "flagged": 0}
    assert qc_selectors.qc_stale_ranges() == []
    series_write(
        channel=other, start=T0 + dt.timedelta(hours=1), values=np.zeros(10, np.float32) + 30, actor=None
    )
    assert qc_selectors.qc_stale_ranges() == [(other.pk, DAY0, DAY0)]


def test_the_command_checks_a_station_since_a_day(well, capsys):
    series_write(channel=well, start=T0, values=_tides(3), actor=None)
    call_command("qc_series", "--station", "JXW", "--since", "2026-03-02")
    assert list(QcDay.objects.values_list("day", flat=True)) == [
        DAY0 + dt.timedelta(days=1),
        DAY0 + dt.timedelta(days=2),
    ]
    assert "2 days checked, 0 flagged" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--since"):
        call_command("qc_series", "--since", "yesterday")
    with pytest.raises(CommandError, match="no stored series"):
        call_command("qc_series", "--station", "NOPE")


def test_excluded_spans_follow_the_machine_and_the_people(well, jx_expert, jx_viewer, as_actor):
    values = _tides(2)
    values[500] += 1.0  # spike on day 1
    values[1440 + 300 : 1440 + 480] = values[1440 + 300]  # flat line on day 2
    series_write(channel=well, start=T0, values=values, actor=None)
    qc_run.qc_check_days(well, DAY0, DAY0 + dt.timedelta(days=1), now=LATER)
    actor = as_actor(jx_viewer, "JX")
    spans = qc_selectors.qc_excluded_spans(actor=actor, channel=well, start=T0, end=T0 + dt.timedelta(days=2))
    assert [(s.kind, s.start, s.reason) for s in spans] == [
        ("spike", T0 + dt.timedelta(minutes=500), "spike"),
        ("flat", T0 + dt.timedelta(minutes=1740), "flat"),
    ]
    day1, day2 = QcDay.objects.filter(channel=well).order_by("day")
    _review(day1, jx_expert, "ok")  # the spike was real
    review = _review(day2, jx_expert, "interference")
    QcReview.objects.filter(pk=review.pk).update(
        cause="pumping", start=T0 + dt.timedelta(days=1, hours=12), end=T0 + dt.timedelta(days=1, hours=13)
    )
    day2.flags.filter(kind="flat").update(verdict="interference", cause="pumping")
    spans = qc_selectors.qc_excluded_spans(actor=actor, channel=well, start=T0, end=T0 + dt.timedelta(days=2))
    assert [(s.kind, s.start, s.reason) for s in spans] == [
        ("flat", T0 + dt.timedelta(minutes=1740), "interference:pumping"),
        ("marked", T0 + dt.timedelta(days=1, hours=12), "interference:pumping"),
    ]
    # another bureau sees nothing
    assert qc_selectors.qc_excluded_spans(actor=None, channel=well, start=T0, end=LATER) == []
