"""catalog/arrival.py: one decision per arrived quake (fresh? whom? which actions?), reactions
enqueued as their own tasks with ids only, the request that posted the SMS runs none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from celery import shared_task
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from catalog import arrival
from catalog.models import AlertAction, AlertRule
from catalog.quick_report import BEIJING
from catalog.services.events import Solution, event_record_solution
from consultations.models import Meeting
from portal.exceptions import PermissionDenied
from reports.models import TopicReport
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _quake(bureau, lon=115.0, lat=28.0, magnitude=4.0, **kwargs):
    return EventFactory(bureau=bureau, longitude=lon, latitude=lat, magnitude=magnitude, **kwargs)


def _concerns(event):
    return [(c.bureau.code, c.inside, c.actions) for c in arrival.concerned_bureaus(event)]


# --- freshness ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "fresh"),
    [
        (dt.timedelta(0), True),
        (-dt.timedelta(hours=72), True),  # the window's first instant
        (-dt.timedelta(hours=72, seconds=1), False),  # history
        (dt.timedelta(minutes=59), True),  # a receipt clock a little behind
        (dt.timedelta(hours=1, seconds=1), False),  # far in the future: a typo, not a quake
    ],
)
def test_freshness_boundaries(jx, offset, fresh):
    event = _quake(jx, origin_time=NOW + offset)
    assert arrival.is_fresh(event, now=NOW) is fresh


def test_a_deleted_event_or_one_without_magnitude_is_not_an_arrival(jx):
    assert arrival.is_fresh(_quake(jx, origin_time=NOW, status="deleted"), now=NOW) is False
    assert arrival.is_fresh(_quake(jx, origin_time=NOW, magnitude=None), now=NOW) is False


def test_the_window_is_one_setting(jx, settings):
    settings.EVENT_FRESH_FOR = dt.timedelta(hours=6)
    event = _quake(jx, origin_time=NOW - dt.timedelta(hours=7))
    assert arrival.is_fresh(event, now=NOW) is False


# --- who is concerned ----------------------------------------------------------------------


def test_quake_inside_a_province_concerns_it_with_the_default_rule(jx, nm, cenc):
    # national units act only with a rule of their own
    assert _concerns(_quake(jx)) == [("JX", True, ["topic_report", "emergency_meeting"])]


def test_below_the_threshold_concerns_nobody(jx):
    assert _concerns(_quake(jx, magnitude=2.9)) == []
    AlertRule.objects.create(bureau=jx, threshold_magnitude=Decimal("2.5"))
    assert _concerns(_quake(jx, magnitude=2.5)) == [("JX", True, ["topic_report", "emergency_meeting"])]


def test_outside_every_jurisdiction_concerns_nobody(jx, nm):
    assert _concerns(_quake(jx, lon=100.0, lat=25.0)) == []


def test_within_the_distance_beyond_the_border(jx):
    # JX's box ends at 118.5°E; 119.0°E at 28°N is ~49 km east of it
    quake = _quake(jx, lon=119.0, lat=28.0, magnitude=4.5)
    rule = AlertRule.objects.create(bureau=jx, distance_km=30)
    assert _concerns(quake) == []
    rule.distance_km = 60
    rule.save()
    [concern] = arrival.concerned_bureaus(quake)
    assert (concern.bureau, concern.inside, round(concern.distance_km)) == (jx, False, 49)


def test_actions_switched_off_are_not_asked_for(jx, cenc):
    AlertRule.objects.create(bureau=jx, topic_report=False, emergency_meeting=True)
    AlertRule.objects.create(bureau=cenc, threshold_magnitude=Decimal("3.5"), emergency_meeting=False)
    assert _concerns(_quake(jx)) == [("CENC", True, ["topic_report"]), ("JX", True, ["emergency_meeting"])]
    AlertRule.objects.filter(bureau=jx).update(emergency_meeting=False)
    assert _concerns(_quake(jx)) == [("CENC", True, ["topic_report"])]


def test_post_quake_case_flag_enqueues_the_postquake_reaction(jx, monkeypatch):
    AlertRule.objects.create(bureau=jx, topic_report=False, emergency_meeting=False, post_quake_case=True)
    quake = _quake(jx, magnitude=5.0, origin_time=timezone.now())
    assert _concerns(quake) == [("JX", True, ["post_quake_case"])]
    assert [t.name for t in arrival.reactions_for(AlertAction.POST_QUAKE_CASE)] == ["postquake.open_case"]
    case = FakeReaction("postquake.open_case")
    monkeypatch.setattr(arrival, "_REACTIONS", {AlertAction.POST_QUAKE_CASE: [case]})
    assert arrival.decide(event_id=quake.pk) == [arrival.Enqueued("postquake.open_case", quake.pk, jx.pk)]


# --- the post-quake case's own thresholds ---------------------------------------------------

# JX's box ends at 118.5°E; at 28°N a degree of longitude is ~98 km.
NEAR_90_KM = 119.414
FAR_120_KM = 119.725
# Gansu (Jishishan, the M6.2 of 2023-12-18), Taiwan (Hualien) and Nepal (Kathmandu): all three
# inside the CENC fixture's box jurisdiction, which is not what "in China" means.
IN_CHINA = (102.79, 35.70)
IN_TAIWAN = (121.6, 24.0)
ABROAD = (85.3, 27.7)


@pytest.mark.parametrize(
    ("lon", "magnitude", "actions"),
    [
        (115.0, 4.9, ["topic_report", "emergency_meeting"]),  # inside, below M5.0: no case
        (115.0, 5.0, ["topic_report", "emergency_meeting", "post_quake_case"]),
        (NEAR_90_KM, 5.0, ["post_quake_case"]),  # 90 km out: a case, the rest keep their 0 km
        (FAR_120_KM, 5.0, None),  # 120 km out: nothing at all
        (NEAR_90_KM, 4.9, None),
    ],
)
def test_a_province_opens_a_case_from_m5_within_its_jurisdiction_or_100_km(jx, lon, magnitude, actions):
    quake = _quake(jx, lon=lon, lat=28.0, magnitude=magnitude)
    assert _concerns(quake) == ([("JX", lon == 115.0, actions)] if actions else [])


def test_the_distances_of_the_near_and_far_quakes_are_what_the_test_says(jx):
    AlertRule.objects.create(bureau=jx, distance_km=200)
    near, far = (arrival.concerned_bureaus(_quake(jx, lon=lon, lat=28.0)) for lon in (NEAR_90_KM, FAR_120_KM))
    assert (round(near[0].distance_km), round(far[0].distance_km)) == (90, 120)


def test_a_saved_province_rule_gets_the_province_defaults_and_they_can_change(jx, jx_admin, as_actor):
    rule = arrival.alert_rule_save(actor=as_actor(jx_admin), distance_km=10)
    assert (
        rule.post_quake_case,
        rule.post_quake_min_magnitude,
        rule.post_quake_distance_km,
        rule.post_quake_min_magnitude_china,
        rule.post_quake_min_magnitude_abroad,
    ) == (True, Decimal("5.0"), 100.0, None, None)
    arrival.alert_rule_save(
        actor=as_actor(jx_admin), post_quake_min_magnitude="4.5", post_quake_distance_km=0
    )
    assert _concerns(_quake(jx, magnitude=4.5))[0][2] == [
        "topic_report",
        "emergency_meeting",
        "post_quake_case",
    ]
    assert _concerns(_quake(jx, lon=NEAR_90_KM, lat=28.0, magnitude=6.0)) == []


@pytest.fixture
def cenc_rule(cenc):
    """CENC's rule as a first save makes it: the national post-quake thresholds, and here no
    special-topic report or meeting (they would concern CENC at M3.0 everywhere in its box)."""
    rule = AlertRule.for_bureau(cenc)
    rule.topic_report = rule.emergency_meeting = False
    rule.save()
    return rule


@pytest.mark.parametrize(
    ("where", "magnitude", "case"),
    [
        (IN_CHINA, 5.9, False),
        (IN_CHINA, 6.0, True),
        (IN_TAIWAN, 6.0, True),
        (ABROAD, 6.9, False),
        (ABROAD, 7.0, True),
    ],
)
def test_a_national_unit_opens_a_case_from_m6_in_china_and_m7_abroad(jx, cenc_rule, where, magnitude, case):
    lon, lat = where
    quake = _quake(jx, lon=lon, lat=lat, magnitude=magnitude)
    assert _concerns(quake) == ([("CENC", True, ["post_quake_case"])] if case else [])


def test_the_national_defaults_are_those_of_the_issue(cenc):
    rule = AlertRule.for_bureau(cenc)
    assert (
        rule.post_quake_case,
        rule.post_quake_min_magnitude,
        rule.post_quake_min_magnitude_china,
        rule.post_quake_min_magnitude_abroad,
    ) == (True, None, Decimal("6.0"), Decimal("7.0"))


def test_one_rule_may_use_every_post_quake_threshold_at_once(jx):
    AlertRule.objects.create(
        bureau=jx,
        topic_report=False,
        emergency_meeting=False,
        post_quake_min_magnitude=Decimal("5.0"),
        post_quake_distance_km=100,
        post_quake_min_magnitude_china=Decimal("6.5"),
        post_quake_min_magnitude_abroad=Decimal("7.5"),
    )
    cases = [
        (115.0, 28.0, 5.0),  # inside
        (*IN_CHINA, 6.5),  # far away in China
        (*ABROAD, 7.5),  # abroad
    ]
    for lon, lat, magnitude in cases:
        assert [
            c.bureau.code
            for c in arrival.concerned_bureaus(_quake(jx, lon=lon, lat=lat, magnitude=magnitude))
        ] == ["JX"]
    for lon, lat, magnitude in [(*IN_CHINA, 6.4), (*ABROAD, 7.4)]:
        assert arrival.concerned_bureaus(_quake(jx, lon=lon, lat=lat, magnitude=magnitude)) == []


def test_switched_off_the_post_quake_thresholds_open_nothing(jx, cenc):
    AlertRule.objects.create(bureau=jx, post_quake_case=False)
    rule = AlertRule.for_bureau(cenc)
    rule.post_quake_case = rule.topic_report = rule.emergency_meeting = False
    rule.save()
    assert _concerns(_quake(jx, magnitude=7.5)) == [("JX", True, ["topic_report", "emergency_meeting"])]


def test_listeners_hear_only_what_the_rules_threshold_selects(
    jx, monkeypatch, django_capture_on_commit_callbacks
):
    """Flows and subscriptions heard of quakes within the rule's threshold and distance; a quake
    that only opens a post-quake case (90 km out) tells them nothing new."""
    heard, opened = [], FakeReaction("postquake.open_case")
    monkeypatch.setattr(arrival, "_LISTENERS", [lambda event, concern: heard.append(concern.bureau.code)])
    monkeypatch.setattr(arrival, "_REACTIONS", {AlertAction.POST_QUAKE_CASE: [opened]})
    near = _quake(jx, lon=NEAR_90_KM, lat=28.0, magnitude=5.0, origin_time=timezone.now())
    inside = _quake(jx, magnitude=5.0, origin_time=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        arrival.decide(event_id=near.pk)
        arrival.decide(event_id=inside.pk)
    assert opened.sent == [
        {"event_id": near.pk, "bureau_id": jx.pk},
        {"event_id": inside.pk, "bureau_id": jx.pk},
    ]
    assert heard == ["JX"]


# --- the flow ------------------------------------------------------------------------------


class FakeReaction:
    """Stands for a reaction task: records what it was sent."""

    def __init__(self, name):
        self.name = name
        self.sent = []

    def delay(self, **kwargs):
        self.sent.append(kwargs)


@pytest.fixture
def reactions(monkeypatch):
    report, meeting = FakeReaction("test.report"), FakeReaction("test.meeting")
    monkeypatch.setattr(
        arrival, "_REACTIONS", {AlertAction.TOPIC_REPORT: [report], AlertAction.EMERGENCY_MEETING: [meeting]}
    )
    return report, meeting


def _record(bureau, *, minutes_ago=3, lon=115.0, lat=28.0, magnitude=4.2, hook_source="quick_report"):
    solution = Solution(
        origin_time=timezone.now() - dt.timedelta(minutes=minutes_ago),
        latitude=lat,
        longitude=lon,
        depth_km=10.0,
        magnitude=magnitude,
        location_name="江西宜春市上高县",
    )
    event, _created, _changed = event_record_solution(
        bureau=bureau, solution=solution, data_origin="quick_report", publish=True, hook_source=hook_source
    )
    return event


def test_one_decision_per_arrival_and_reactions_get_ids_only(
    jx, cenc, reactions, monkeypatch, django_capture_on_commit_callbacks
):
    AlertRule.objects.create(bureau=cenc, emergency_meeting=False)
    decisions = []
    decide_once = arrival.concerned_bureaus
    monkeypatch.setattr(arrival, "concerned_bureaus", lambda e: decisions.append(e.pk) or decide_once(e))
    with django_capture_on_commit_callbacks(execute=True):
        event = _record(jx)
    report, meeting = reactions
    assert decisions == [event.pk]
    assert report.sent == [
        {"event_id": event.pk, "bureau_id": cenc.pk},
        {"event_id": event.pk, "bureau_id": jx.pk},
    ]
    assert meeting.sent == [{"event_id": event.pk, "bureau_id": jx.pk}]


def test_an_old_quake_or_a_foreign_one_enqueues_nothing(jx, reactions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _record(jx, minutes_ago=73 * 60)
        _record(jx, lon=100.0, lat=25.0)
    assert reactions[0].sent == reactions[1].sent == []


def test_a_fresh_import_is_an_arrival_like_any_other(jx, reactions, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = _record(jx, hook_source="import")
    assert reactions[1].sent == [{"event_id": event.pk, "bureau_id": jx.pk}]


def test_an_import_announces_only_its_fresh_events(jx, monkeypatch, django_capture_on_commit_callbacks):
    from catalog import tasks
    from catalog.formats import EventRow
    from catalog.models import Event
    from catalog.services.import_writer import import_rows

    enqueued = []
    monkeypatch.setattr(tasks.event_arrived_task, "delay", lambda **kw: enqueued.append(kw))
    now = timezone.now()
    rows = [
        EventRow(
            origin_time=now - dt.timedelta(hours=2), latitude=28.0, longitude=115.0, depth_km=8, magnitude=4.0
        ),
        EventRow(
            origin_time=now - dt.timedelta(days=40), latitude=27.0, longitude=116.0, depth_km=8, magnitude=5.0
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(bureau=jx, rows=rows)
    fresh = Event.objects.get(magnitude=4.0)
    assert enqueued == [{"event_id": fresh.pk}]


flaky_runs: list[int] = []


@shared_task(
    name="tests.flaky_reaction", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=False
)
def flaky_reaction(*, event_id: int, bureau_id: int) -> str:
    flaky_runs.append(event_id)
    if len(flaky_runs) == 1:
        raise OperationalError("the database went away")
    return "done"


def test_a_failing_reaction_is_retried_on_its_own_and_the_others_run(
    jx, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    flaky_runs.clear()
    meeting = FakeReaction("test.meeting")
    monkeypatch.setattr(
        arrival,
        "_REACTIONS",
        {AlertAction.TOPIC_REPORT: [flaky_reaction], AlertAction.EMERGENCY_MEETING: [meeting]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = _record(jx)
    # eager Celery runs it once and schedules the retry (a worker would run it again) ...
    assert flaky_runs == [event.pk]
    assert any("Retry in" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    # ... and the other reaction of the same quake went on regardless
    assert meeting.sent == [{"event_id": event.pk, "bureau_id": jx.pk}]
    # running it again (the retry) finishes the work
    assert flaky_reaction.delay(event_id=event.pk, bureau_id=jx.pk).get() == "done"


def test_every_reaction_retries_transient_database_errors_itself():
    registered = [task for action in AlertAction.values for task in arrival.reactions_for(action)]
    assert sorted(task.name for task in registered) == [
        "consultations.open_emergency_meeting",
        "postquake.open_case",
        "reports.topic_report_for_event",
    ]
    assert all(OperationalError in task.autoretry_for for task in registered)


def test_a_reaction_that_cannot_be_enqueued_does_not_stop_the_others(
    jx, monkeypatch, django_capture_on_commit_callbacks
):
    class BrokerDown(FakeReaction):
        def delay(self, **kwargs):
            raise ConnectionError("broker unreachable")

    meeting = FakeReaction("test.meeting")
    monkeypatch.setattr(
        arrival,
        "_REACTIONS",
        {AlertAction.TOPIC_REPORT: [BrokerDown("test.report")], AlertAction.EMERGENCY_MEETING: [meeting]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = _record(jx)
    assert meeting.sent == [{"event_id": event.pk, "bureau_id": jx.pk}]


def test_posting_the_sms_only_enqueues_the_one_arrival_task(
    client, jx, jx_forecaster, monkeypatch, django_capture_on_commit_callbacks
):
    from catalog import tasks

    enqueued = []
    monkeypatch.setattr(tasks.event_arrived_task, "delay", lambda **kw: enqueued.append(kw))
    origin = timezone.now().astimezone(BEIJING) - dt.timedelta(minutes=10)
    text = (
        f"中国地震台网正式测定：{origin:%Y-%m-%d %H:%M:%S}在江西宜春市上高县发生4.6级地震，"
        "震中纬度28.20，经度114.90，震源深度10km。"
    )
    client.force_login(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("catalog:quick-report-new"), {"text": text})
    assert response.status_code == 302
    [event] = jx_forecaster_events(jx)
    assert enqueued == [{"event_id": event.pk}]
    assert not TopicReport.objects.exists()
    assert not Meeting.objects.exists()


def jx_forecaster_events(bureau):
    from catalog.models import Event

    return list(Event.objects.filter(bureau=bureau))


def test_end_to_end_the_sms_makes_a_report_and_a_meeting(jx, jx_chair, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = _record(jx, lon=114.9, lat=28.2, magnitude=4.6)
    assert list(TopicReport.objects.values_list("bureau__code", "event_id", "trigger")) == [
        ("JX", event.pk, "quick_report")
    ]
    assert list(Meeting.objects.values_list("bureau__code", "trigger_event_id")) == [("JX", event.pk)]
    # the same arrival again (a repeated hook, a task run twice): still one of each
    with django_capture_on_commit_callbacks(execute=True):
        arrival.decide(event_id=event.pk)
    assert (TopicReport.objects.count(), Meeting.objects.count()) == (1, 1)


def test_reports_are_pushed_only_when_the_rule_says_so(jx, django_capture_on_commit_callbacks):
    from reports.models import PushAttempt

    AlertRule.objects.create(bureau=jx, pushes=False, emergency_meeting=False)
    with django_capture_on_commit_callbacks(execute=True):
        _record(jx, lon=114.9, lat=28.2, magnitude=4.6)
    assert TopicReport.objects.get().status == "ready"
    assert not PushAttempt.objects.exists()


# --- the rule's page and service -----------------------------------------------------------


def test_bureau_admin_edits_the_rule_on_one_page(client, jx, jx_admin):
    client.force_login(jx_admin)
    url = reverse("catalog:alert-rule")
    page = client.get(url).content.decode()
    assert 'name="post_quake_case"' in page
    assert 'name="post_quake_case" disabled' not in page
    assert 'name="post_quake_min_magnitude" value="5.0"' in page  # a province's default
    response = client.post(
        url,
        {
            "threshold_magnitude": "3.5",
            "distance_km": "40",
            "topic_report": "on",
            "emergency_meeting": "on",
            "post_quake_case": "on",
            "post_quake_min_magnitude": "5.5",
            "post_quake_distance_km": "80",
            "post_quake_min_magnitude_china": "",
            "post_quake_min_magnitude_abroad": "7.0",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get(bureau=jx)
    assert (
        rule.threshold_magnitude,
        rule.distance_km,
        rule.topic_report,
        rule.pushes,
        rule.emergency_meeting,
        rule.post_quake_case,
        rule.post_quake_min_magnitude,
        rule.post_quake_distance_km,
        rule.post_quake_min_magnitude_china,
        rule.post_quake_min_magnitude_abroad,
    ) == (Decimal("3.5"), 40.0, True, False, True, True, Decimal("5.5"), 80.0, None, Decimal("7.0"))


def test_a_national_units_page_starts_from_the_national_defaults(client, cenc, make_person):
    client.force_login(make_person("cenc_admin", (cenc, "bureau_admin")))
    page = client.get(reverse("catalog:alert-rule")).content.decode()
    assert 'name="post_quake_min_magnitude_china" value="6.0"' in page
    assert 'name="post_quake_min_magnitude_abroad" value="7.0"' in page


def test_the_page_says_a_case_needs_a_threshold(client, jx, jx_admin):
    client.force_login(jx_admin)
    response = client.post(
        reverse("catalog:alert-rule"),
        {
            "threshold_magnitude": "3.0",
            "distance_km": "0",
            "post_quake_case": "on",
            "post_quake_distance_km": "100",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["post_quake_min_magnitude"]
    assert not AlertRule.objects.exists()


def test_others_may_not_edit_the_rule(client, jx, jx_forecaster, as_actor):
    client.force_login(jx_forecaster)
    assert client.get(reverse("catalog:alert-rule")).status_code == 403
    with pytest.raises(PermissionDenied):
        arrival.alert_rule_save(actor=as_actor(jx_forecaster), threshold_magnitude=Decimal("2.0"))


def test_the_rule_refuses_an_impossible_distance(client, jx, jx_admin):
    client.force_login(jx_admin)
    response = client.post(
        reverse("catalog:alert-rule"), {"threshold_magnitude": "3.0", "distance_km": "900"}
    )
    assert response.status_code == 200
    assert not AlertRule.objects.exists()
