"""The person's review of QC days (service and API): who may judge a day, the rules of verdict,
cause, comment and marked span, the audit row, the fault notice to the admin, the waiting
item, corrections that keep the history, and batch reviews of one channel's days."""

from __future__ import annotations

import datetime as dt

import pytest

from observations.models import QcDay, QcFlag, QcReview
from observations.services.qc_review import qc_review
from portal.models import AuditEvent, Notification
from portal.waiting import waiting_for
from tests.observations.factories import (
    ChannelFactory,
    FlaggedQcDayFactory,
    GapFlagFactory,
    StationFactory,
    geomagnetic_item,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def url(day) -> str:
    return f"/api/v1/series/qc/{day.pk}/review/"


@pytest.fixture
def channel(jx):
    return ChannelFactory(station=StationFactory(bureau=jx, code="JXW"))  # water level: fluids


@pytest.fixture
def day(channel):
    day = FlaggedQcDayFactory(channel=channel, day=DAY, spikes=["2026-11-20T10:30:00Z"])
    GapFlagFactory(qc_day=day, kind=QcFlag.Kind.GAP)
    GapFlagFactory(
        qc_day=day,
        kind=QcFlag.Kind.SPIKE,
        start=dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 20, 10, 31, tzinfo=dt.UTC),
        value=2.5,
    )
    return day


@pytest.fixture
def jx_expert_em(make_person, jx):
    return make_person("jx_expert_em", (jx, "expert", "electromagnetism"))


INTERFERENCE = {"verdict": "interference", "cause": "pumping", "comment": "水泵抽水"}


# --- who may review -----------------------------------------------------------------------


def test_expert_of_the_discipline_reviews_and_gets_the_day_back(api, jx_expert, day):
    response = api(jx_expert, "JX").post(url(day), INTERFERENCE, format="json")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("id", "date", "gaps", "spikes", "status")} == {
        "id": day.pk,
        "date": "2026-11-20",
        "gaps": 1,
        "spikes": ["2026-11-20T10:30:00Z"],
        "status": "reviewed",
    }
    assert {k: body["review"][k] for k in ("verdict", "cause", "comment", "start")} == {
        **INTERFERENCE,
        "start": None,
    }
    assert set(QcFlag.objects.filter(qc_day=day).values_list("verdict", "cause")) == {
        ("interference", "pumping")
    }


def test_bureau_admin_reviews(api, jx_admin, day):
    response = api(jx_admin, "JX").post(url(day), {"verdict": "ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["review"]["verdict"] == "ok"


def test_expert_of_another_discipline_is_refused_with_403(api, jx_expert_em, day):
    response = api(jx_expert_em, "JX").post(url(day), INTERFERENCE, format="json")
    assert response.status_code == 403
    assert QcReview.objects.count() == 0
    day.refresh_from_db()
    assert day.status == "auto"


def test_reporter_is_refused_with_403(api, jx_reporter, day):
    assert api(jx_reporter, "JX").post(url(day), INTERFERENCE, format="json").status_code == 403


def test_reporter_with_bad_input_is_still_403(api, jx_reporter, day):
    assert api(jx_reporter, "JX").post(url(day), {"verdict": "fault"}, format="json").status_code == 403


def test_other_bureau_gets_404(api, nm_admin, day):
    assert api(nm_admin, "NM").post(url(day), INTERFERENCE, format="json").status_code == 404


def test_anonymous_is_refused(api, day):
    assert api().post(url(day), INTERFERENCE, format="json").status_code == 401


def test_a_missing_day_is_404(api, jx_expert, day):
    response = api(jx_expert, "JX").post("/api/v1/series/qc/987654321/review/", INTERFERENCE, format="json")
    assert response.status_code == 404


def test_expert_of_electromagnetism_reviews_geomagnetism(api, jx_expert_em, jx):
    gm = ChannelFactory(station=StationFactory(bureau=jx, code="JXG"), item=geomagnetic_item("H"))
    gm_day = FlaggedQcDayFactory(channel=gm, day=DAY)
    assert api(jx_expert_em, "JX").post(url(gm_day), {"verdict": "ok"}, format="json").status_code == 200


# --- the rules of the input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"verdict": "interference", "comment": "雨"}, "cause"),
        ({"verdict": "interference", "cause": "aliens", "comment": "?"}, "cause"),
        ({"verdict": "ok", "cause": "rainfall"}, "cause"),
        ({"verdict": "fault", "cause": "power", "comment": "断电"}, "cause"),
        ({"verdict": "fault"}, "comment"),
        ({"verdict": "interference", "cause": "rainfall", "comment": "  "}, "comment"),
        ({"verdict": "ok", "comment": "bad\x00byte"}, None),  # the portal's middleware refuses NUL
        ({"verdict": "maybe"}, "verdict"),
        ({"verdict": "ok", "start": "2026-11-20T10:00:00Z"}, "end"),
        ({"verdict": "ok", "start": "2026-11-20T10:00:00Z", "end": "2026-11-20T09:00:00Z"}, "end"),
        ({"verdict": "ok", "start": "2026-11-18T10:00:00Z", "end": "2026-11-20T09:00:00Z"}, "start"),
        ({"verdict": "ok", "start": "2026-11-20T10:00:00Z", "end": "2026-11-22T00:00:01Z"}, "end"),
        ({"verdict": "ok", "start": "2026-13-45T10:00:00Z", "end": "2026-11-20T11:00:00Z"}, "start"),
        ({"verdict": "ok", "start": "0001-01-01T00:00:00", "end": "2026-11-20T11:00:00Z"}, "start"),
        ({"verdict": "ok", "days": ["x"]}, "days"),
        ({"verdict": "ok", "days": [0]}, "days"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, jx_expert, day, payload, field):
    response = api(jx_expert, "JX").post(url(day), payload, format="json")
    assert response.status_code == 400
    if field is not None:
        assert field in response.json()["errors"]
    assert QcReview.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="qc_day.").count() == 0


def test_service_refuses_a_nul_byte_and_a_non_text_comment(as_actor, jx_expert, day):
    from portal.exceptions import InvalidInput

    for comment in ("a\x00b", 42):
        with pytest.raises(InvalidInput) as refused:
            qc_review(actor=as_actor(jx_expert, "JX"), qc_day=day, verdict="ok", comment=comment)
        assert refused.value.field == "comment"


def test_a_marked_span_becomes_a_marked_flag_with_the_verdict(api, jx_expert, day):
    payload = {**INTERFERENCE, "start": "2026-11-20T13:00:00+08:00", "end": "2026-11-20T15:30:00+08:00"}
    response = api(jx_expert, "JX").post(url(day), payload, format="json")
    assert response.status_code == 200
    marked = QcFlag.objects.get(qc_day=day, kind="marked")
    assert (marked.start, marked.end, marked.verdict, marked.cause) == (
        dt.datetime(2026, 11, 20, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.UTC),
        "interference",
        "pumping",
    )
    assert response.json()["review"]["start"] == "2026-11-20T13:00:00+08:00"


def test_a_span_may_reach_one_day_either_side(as_actor, jx_expert, day):
    qc_review(
        actor=as_actor(jx_expert, "JX"),
        qc_day=day,
        verdict="fault",
        comment="探头故障",
        start=dt.datetime(2026, 11, 19, 0, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 22, 0, tzinfo=dt.UTC),
    )
    marked = QcFlag.objects.get(qc_day=day, kind="marked")
    assert (marked.start.day, marked.end.day) == (19, 22)


# --- audit, notifications, waiting ---------------------------------------------------------


def test_the_review_is_audited(api, jx_expert, day):
    api(jx_expert, "JX").post(url(day), INTERFERENCE, format="json")
    event = AuditEvent.objects.get(action="qc_day.review")
    review = QcReview.objects.get()
    assert (event.actor, event.from_state, event.to_state, event.comment) == (
        jx_expert,
        "auto",
        "reviewed",
        "水泵抽水",
    )
    assert (event.extra["verdict"], event.extra["cause"], event.extra["review"]) == (
        "interference",
        "pumping",
        review.pk,
    )


def test_a_fault_tells_the_bureau_admin(api, jx_expert, jx_admin, nm_admin, day):
    api(jx_expert, "JX").post(url(day), {"verdict": "fault", "comment": "探头进水"}, format="json")
    notice = Notification.objects.get(kind="qc_fault")
    assert (notice.recipient, notice.level, notice.url) == (
        jx_admin,
        "warning",
        f"/observations/qc/{day.pk}/",
    )
    assert "JXW" in notice.title
    assert "探头进水" in notice.body


def test_interference_and_ok_tell_nobody(api, jx_expert, jx_admin, day):
    api(jx_expert, "JX").post(url(day), INTERFERENCE, format="json")
    assert Notification.objects.filter(kind="qc_fault").count() == 0


def test_flagged_days_wait_for_the_experts_of_their_discipline(
    as_actor, jx_expert, jx_expert_em, jx_admin, day
):
    next_day = FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=1))
    FlaggedQcDayFactory(
        channel=day.channel, day=DAY + dt.timedelta(days=2), flagged=False
    )  # clean: not waiting
    [item] = [i for i in waiting_for(as_actor(jx_expert, "JX")) if i.kind == "qc_day"]
    assert item.url == "/observations/qc/?status=auto&discipline=fluid"
    assert "2" in item.label
    assert [i for i in waiting_for(as_actor(jx_expert_em, "JX")) if i.kind == "qc_day"] == []
    qc_review(actor=as_actor(jx_expert, "JX"), qc_day=day, verdict="ok", days=[next_day.pk])
    assert [i for i in waiting_for(as_actor(jx_expert, "JX")) if i.kind == "qc_day"] == []


# --- corrections and batches -----------------------------------------------------------------


def test_a_correction_keeps_the_earlier_review_in_the_history(api, jx_expert, jx_admin, day):
    first = api(jx_expert, "JX").post(
        url(day),
        {**INTERFERENCE, "start": "2026-11-20T01:00:00Z", "end": "2026-11-20T02:00:00Z"},
        format="json",
    )
    second = api(jx_admin, "JX").post(url(day), {"verdict": "ok", "comment": "复核: 数据正常"}, format="json")
    assert (first.status_code, second.status_code) == (200, 200)
    assert list(QcReview.objects.filter(qc_day=day).values_list("verdict", flat=True)) == [
        "ok",
        "interference",
    ]
    assert second.json()["review"]["verdict"] == "ok"
    # the earlier review's marked span no longer excludes anything; the machine's flags say OK
    assert QcFlag.objects.filter(qc_day=day, kind="marked").count() == 0
    assert set(QcFlag.objects.filter(qc_day=day).values_list("verdict", "cause")) == {("ok", "")}
    assert list(
        AuditEvent.objects.filter(action__startswith="qc_day.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["qc_day.review", "qc_day.correct"]


def test_a_batch_review_judges_several_days_of_one_channel(api, jx_expert, day):
    rain = [FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=n)) for n in (1, 2, 3)]
    payload = {
        "verdict": "interference",
        "cause": "rainfall",
        "comment": "一周降雨",
        "days": [d.pk for d in rain],
        "start": "2026-11-20T00:00:00Z",
        "end": "2026-11-23T12:00:00Z",
    }
    response = api(jx_expert, "JX").post(url(day), payload, format="json")
    assert response.status_code == 200
    assert set(QcDay.objects.filter(channel=day.channel).values_list("status", flat=True)) == {"reviewed"}
    assert QcReview.objects.filter(verdict="interference", cause="rainfall").count() == 4
    marked = QcFlag.objects.filter(kind="marked").order_by("start")
    assert [(f.qc_day_id, f.start.day, f.end.day, f.end.hour) for f in marked] == [
        (day.pk, 20, 21, 0),
        (rain[0].pk, 21, 22, 0),
        (rain[1].pk, 22, 23, 0),
        (rain[2].pk, 23, 23, 12),
    ]
    assert AuditEvent.objects.filter(action="qc_day.review").count() == 4


def test_a_batch_fault_tells_the_admin_once(as_actor, jx_expert, jx_admin, day):
    other = FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=1))
    qc_review(actor=as_actor(jx_expert, "JX"), qc_day=day, verdict="fault", comment="断电", days=[other.pk])
    assert Notification.objects.filter(kind="qc_fault", recipient=jx_admin).count() == 1


def test_a_batch_span_over_a_day_not_reviewed_is_refused(api, jx_expert, day):
    later = FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=3))
    payload = {
        "verdict": "ok",
        "days": [later.pk],
        "start": "2026-11-20T00:00:00Z",
        "end": "2026-11-23T12:00:00Z",
    }
    response = api(jx_expert, "JX").post(url(day), payload, format="json")
    assert response.status_code == 400
    assert "days" in response.json()["errors"]


def test_a_batch_with_another_channels_day_is_refused(api, jx_expert, jx, day):
    other = FlaggedQcDayFactory(
        channel=ChannelFactory(station=StationFactory(bureau=jx, code="JXX")), day=DAY
    )
    response = api(jx_expert, "JX").post(url(day), {"verdict": "ok", "days": [other.pk]}, format="json")
    assert response.status_code == 400
    assert "days" in response.json()["errors"]
    assert QcReview.objects.count() == 0


def test_a_batch_with_another_bureaus_day_is_404(api, jx_expert, nm, day):
    theirs = FlaggedQcDayFactory(
        channel=ChannelFactory(station=StationFactory(bureau=nm, code="NMW")), day=DAY
    )
    response = api(jx_expert, "JX").post(url(day), {"verdict": "ok", "days": [theirs.pk]}, format="json")
    assert response.status_code == 404
    assert QcReview.objects.count() == 0


# --- the queue API -----------------------------------------------------------------------


def test_the_queue_lists_waiting_days_first_with_filters(api, jx_expert, jx, nm, day):
    reviewed = FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=5))
    qc_day_ok = api(jx_expert, "JX").post(url(reviewed), {"verdict": "ok"}, format="json")
    FlaggedQcDayFactory(
        channel=day.channel, day=DAY + dt.timedelta(days=6), flagged=False
    )  # clean, not in the queue
    FlaggedQcDayFactory(
        channel=ChannelFactory(station=StationFactory(bureau=nm, code="NMW")), day=DAY
    )  # not ours
    client = api(jx_expert, "JX")
    everything = client.get("/api/v1/series/qc/queue/")
    spikes = client.get("/api/v1/series/qc/queue/", {"kind": "spike"})
    waiting = client.get(
        "/api/v1/series/qc/queue/", {"status": "auto", "station": "JXW", "discipline": "fluid"}
    )
    assert (qc_day_ok.status_code, everything.status_code) == (200, 200)
    assert [r["id"] for r in everything.json()["results"]] == [day.pk, reviewed.pk]
    assert [r["id"] for r in spikes.json()["results"]] == [day.pk]
    assert [r["id"] for r in waiting.json()["results"]] == [day.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "nonsense"},
        {"start": "2026-02-30"},
        {"station": "bad code!"},
        {"page": "0"},
        {"start": "2026-11-21", "end": "2026-11-20"},
    ],
)
def test_the_queue_refuses_bad_filters(api, jx_expert, day, query):
    assert api(jx_expert, "JX").get("/api/v1/series/qc/queue/", query).status_code == 400
