"""Scoring a bureau's channels: which anomalies are alarms, the counts stored, the national
reading of published material only, parameters per bureau and discipline, the tasks."""

from __future__ import annotations

import pytest
from django.utils import translation

from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Notification
from skill import selectors, services
from skill.models import SkillScore, SkillSettings
from tests.skill.conftest import NOW, alarm, quake

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_alarms_are_precursory_anomalies_and_unrefuted_detections(jx, jx_history, as_actor, jx_admin):
    from portal.tenancy import bureau_reader

    a1, _a2, a3, _a4, _a5, _a6 = jx_history["a"]
    assert [a.pk for a in selectors.alarm_anomalies(reader=bureau_reader(jx))] == [a1.pk, a3.pk]


def test_a_channel_scored_by_hand(jx, jx_well, jx_history):
    a1, _a2, a3, *_ = jx_history["a"]
    e1, e2, *_ = jx_history["e"]
    assert services.score_bureau(bureau=jx, now=NOW) == 1
    score = SkillScore.objects.get(bureau=jx, channel=jx_well)
    # period: 900 days (from the first alarm); windows 180 + 180 days: tau = 0.4
    assert (score.alarms, score.hits, score.false_alarms) == (2, 1, 1)
    assert (score.quakes, score.quakes_hit, score.misses) == (2, 1, 1)
    assert score.alarm_fraction == pytest.approx(0.4)
    assert score.miss_rate == pytest.approx(0.5)
    assert score.r_score == pytest.approx(0.1)
    assert score.gain == pytest.approx(1.25)
    # R0: Binomial(2, 0.4): P(H = 2) = 0.16 > 0.025: no R0
    assert score.r0 is None
    assert score.hit_anomaly_ids == [a1.pk]
    assert score.false_alarm_anomaly_ids == [a3.pk]
    assert score.hit_event_ids == [e1.pk]
    assert score.missed_event_ids == [e2.pk]
    assert (score.magnitude, score.radius_km, score.days) == (5.0, 200.0, 180)
    assert score.period_end == NOW


def test_the_bureau_parameters_change_the_score(jx, jx_well, jx_history, jx_admin, as_actor):
    services.skill_settings_update(
        actor=as_actor(jx_admin), discipline="fluid", magnitude=4.0, radius_km=100.0, days=365
    )
    services.score_bureau(bureau=jx, now=NOW)
    score = SkillScore.objects.get(bureau=jx, channel=jx_well)
    # M4.0 now counts (e3, 280 days ago, inside a3's window 300..0 days ago)
    assert (score.magnitude, score.radius_km, score.days) == (4.0, 100.0, 365)
    assert (score.quakes, score.quakes_hit, score.hits, score.false_alarms) == (3, 3, 2, 0)


def test_a_recompute_replaces_and_drops_channels_without_alarms(jx, jx_well, jx_history):
    services.score_bureau(bureau=jx, now=NOW)
    services.score_bureau(bureau=jx, now=NOW)
    assert SkillScore.objects.filter(bureau=jx).count() == 1
    for anomaly in jx_history["a"]:
        anomaly.delete()
    assert services.score_bureau(bureau=jx, now=NOW) == 0
    assert SkillScore.objects.filter(bureau=jx).count() == 0


def test_a_national_unit_scores_from_published_anomalies_only(jx, cenc, jx_well, jx_history, published_alarm):
    services.score_bureau(bureau=cenc, now=NOW)
    score = SkillScore.objects.get(bureau=cenc)
    # a1 (tracking: assessed) and the assessed one are published; a3 (a detection nobody
    # assessed yet) is JX's draft to CENC
    a1 = jx_history["a"][0]
    assert score.channel_id == jx_well.pk
    assert score.hit_anomaly_ids == [a1.pk, published_alarm.pk]
    assert score.false_alarm_anomaly_ids == []
    # JX's own score counts all three
    services.score_bureau(bureau=jx, now=NOW)
    assert SkillScore.objects.get(bureau=jx).alarms == 3


def test_another_province_does_not_score_jx(jx, nm, jx_history):
    assert services.score_bureau(bureau=nm, now=NOW) == 0


def test_settings_only_by_the_bureau_admin(jx, jx_expert, jx_admin, as_actor):
    with pytest.raises(PermissionDenied):
        services.skill_settings_update(
            actor=as_actor(jx_expert), discipline="fluid", magnitude=4.0, radius_km=100.0, days=30
        )
    with pytest.raises(InvalidInput) as bad:
        services.skill_settings_update(
            actor=as_actor(jx_admin), discipline="fluid", magnitude=4.0, radius_km=0.0, days=30
        )
    assert bad.value.field == "radius_km"
    assert SkillSettings.objects.count() == 0
    # defaults where no row is stored
    params = {
        p.discipline.code: (p.magnitude, p.radius_km, p.days) for p in selectors.skill_params_all(bureau=jx)
    }
    assert params == {
        "seismology": (5.0, 300.0, 180),
        "deformation": (5.0, 200.0, 180),
        "fluid": (5.0, 200.0, 180),
        "electromagnetism": (5.0, 200.0, 180),
    }


def test_recompute_task_scores_and_tells_who_asked(
    jx, jx_well, jx_history, jx_expert, as_actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.recompute_request(actor=as_actor(jx_expert))
    assert SkillScore.objects.filter(bureau=jx, channel=jx_well).count() == 1
    note = Notification.objects.get(recipient=jx_expert, kind="skill.recomputed")
    assert note.url == "/skill/"


def test_a_viewer_may_not_ask_for_a_recompute(jx, jx_viewer, as_actor):
    with pytest.raises(PermissionDenied):
        services.recompute_request(actor=as_actor(jx_viewer))


def test_daily_job_is_registered_and_scores_every_bureau(jx, nm, jx_well, jx_history):
    from django_celery_beat.models import PeriodicTask

    from skill.tasks import skill_score_all_task

    task = PeriodicTask.objects.select_related("crontab").get(name="skill: score observations")
    assert task.task == "skill.score_all"
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "3",
        "30",
        "Asia/Shanghai",
    )
    assert skill_score_all_task.apply().get() == {"JX": 1, "NM": 0}


def test_a_quake_far_away_or_small_is_no_target(jx, jx_well):
    alarm(jx, jx_well, onset_days_ago=50, conclusion="precursory", state="tracking")
    quake(jx, days_ago_=40, magnitude=6.0, lon=118.5, lat=28.7)  # about 255 km east
    services.score_bureau(bureau=jx, now=NOW)
    score = SkillScore.objects.get(bureau=jx)
    assert (score.quakes, score.hits, score.false_alarms) == (0, 0, 1)
    assert score.r_score is None
