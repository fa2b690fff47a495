"""Products beyond the quick report: ``product_announce`` (the apps above: a monthly trend
report issued, a post-quake opinion) and the anomalies of a discipline (``anomaly.moved``),
each to the subscribers who chose it, whose region holds it and who may read it."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone, translation

from subscriptions.models import SubscriptionNotice
from subscriptions.services import delivery
from subscriptions.services import notices as notice_services
from subscriptions.services import subscriptions as subscription_services
from tests.disciplines.conftest import complete_checks, jx_expert2, jx_fluid_unit  # noqa: F401
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)  # 12:00 Beijing
NM_CIRCLE = {"center": [111.7, 40.8], "radius_km": 200}


def subscribe(person, bureau_code=None, **data):
    from portal.tenancy import actor_for

    body = {"region": {"bureau": "JX"}, "min_magnitude": 3.0, "channels": ["in_app"], **data}
    return subscription_services.subscription_create(actor=actor_for(person, bureau_code), data=body)


def announce(**kwargs):
    values = {
        "product": "trend_report_issued",
        "ref_id": 41,
        "version": 1,
        "titles": ("月度趋势报告已发布：2026年11月", "Monthly trend report issued: November 2026"),
        "url": "/trends/41/",
        "now": NOON,
    }
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        notices = notice_services.product_announce(**(values | kwargs))
    return notices, enqueue


# --- product_announce ------------------------------------------------------------------------


def test_a_bureau_product_reaches_who_chose_it_over_the_jurisdiction_and_may_read_it(
    jx, nm, cenc, jx_forecaster, jx_chair, jx_viewer, nm_forecaster, cenc_forecaster
):
    mine = subscribe(jx_forecaster, products=["trend_report_issued"])
    subscribe(jx_chair, products=["quick_report"])  # did not choose the product
    subscribe(jx_viewer, products=["trend_report_issued"], region=NM_CIRCLE)  # region elsewhere
    nm_sub = subscribe(nm_forecaster, products=["trend_report_issued"])  # JX's region, NM's person
    national = subscribe(cenc_forecaster, products=["trend_report_issued"], region=None)
    asked = []

    def may_read(actor):
        asked.append((actor.user.username, actor.bureau.code))
        return actor.bureau in (jx, cenc)  # the report's bureau and the national units

    notices, enqueue = announce(bureau_id=jx.pk, may_read=may_read)
    assert sorted(n.subscription_id for n in notices) == sorted([mine.pk, national.pk])
    # may_read was asked with each owner as they act in their subscription's bureau
    assert sorted(asked) == [("cenc_forecaster", "CENC"), ("jx_forecaster", "JX"), ("nm_forecaster", "NM")]
    assert nm_sub.notices.count() == 0
    assert {(n.kind, n.decision, n.title, n.url, n.event_id) for n in notices} == {
        ("new", "send", "月度趋势报告已发布：2026年11月", "/trends/41/", None)
    }
    assert enqueue.call_count == 2  # each queued for delivery


def test_announcing_again_makes_nothing_and_a_new_version_is_an_update(jx, jx_forecaster):
    subscribe(jx_forecaster, products=["trend_report_issued"])

    def anyone(actor):
        return True

    (first,), _ = announce(bureau_id=jx.pk, may_read=anyone)
    assert announce(bureau_id=jx.pk, may_read=anyone)[0] == []
    with translation.override("en"):
        (second,), _ = announce(
            bureau_id=jx.pk,
            may_read=anyone,
            version=2,
            titles=("更正", "Monthly trend report issued: November 2026 (version 2)"),
        )
    assert (first.kind, second.kind) == ("new", "update")
    assert second.title == "Update: Monthly trend report issued: November 2026 (version 2)"


def test_a_product_of_a_quake_goes_by_its_epicentre_and_thresholds(jx, jx_forecaster, jx_chair, jx_viewer):
    near = subscribe(
        jx_forecaster, products=["postquake_opinion"], region={"center": [115, 28], "radius_km": 50}
    )
    subscribe(jx_chair, products=["postquake_opinion"], region={"center": [117, 30], "radius_km": 50})
    subscribe(jx_viewer, products=["postquake_opinion"], min_magnitude=6.0)  # by day M6+
    event = EventFactory(bureau=jx, origin_time=NOON - timedelta(hours=2), magnitude=5.2)
    notices, _ = announce(
        product="postquake_opinion",
        ref_id=7,
        bureau_id=jx.pk,
        event_id=event.pk,
        titles=("震后趋势意见：江西上高 M5.2", "Post-quake opinion: M5.2"),
        url="/postquake/7/",
        may_read=lambda actor: True,
    )
    assert [n.subscription_id for n in notices] == [near.pk]
    assert notices[0].event_id == event.pk
    assert "M5.2" in notices[0].body


def test_quiet_hours_hold_a_product_and_a_refusal_to_read_is_no(jx, jx_forecaster, jx_chair):
    from portal.exceptions import NotFound

    subscribe(jx_forecaster, products=["trend_report_issued"], quiet_hours=["11:00", "13:00"])
    subscribe(jx_chair, products=["trend_report_issued"])

    def may_read(actor):
        if actor.user.username == "jx_chair":
            raise NotFound
        return True

    (held,), enqueue = announce(bureau_id=jx.pk, may_read=may_read)
    assert (held.decision, held.deliver_at) == ("hold", dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC))
    assert enqueue.call_args.kwargs["at"] == held.deliver_at


def test_an_unknown_product_is_a_programming_error(jx):
    with pytest.raises(ValueError, match="weather"):
        announce(product="weather", bureau_id=jx.pk, may_read=lambda actor: True)


# --- anomalies of a discipline ---------------------------------------------------------------


def test_anomalies_of_a_discipline_reach_the_readers_in_the_region_report_verification_assessment(
    jx,
    nm,
    cenc,
    jx_forecaster,
    jx_chair,
    jx_viewer,
    nm_forecaster,
    cenc_forecaster,
    jx_reporter,
    jx_expert,
    jx_expert2,  # noqa: F811 - the disciplines tests' fixture
    jx_fluid_unit,  # noqa: F811
    as_actor,
    django_capture_on_commit_callbacks,
):
    """JX's forecaster hears of the report, the verification's outcome and the assessment; the
    national centre only from the assessment on (when it may read it: new to it then); NM's
    forecaster, whose region is JX, never (another province's anomaly); another discipline or
    a region away from the well: nothing."""
    from disciplines.services import anomalies as anomaly_services
    from disciplines.services import assessment as assessment_services
    from disciplines.services import verification as verification_services
    from disciplines.services.zero_reports import AnomalyInput, zero_report_submit

    own = subscribe(jx_forecaster, products=["anomalies:fluid"])
    national = subscribe(cenc_forecaster, products=["anomalies:fluid"], region=None)
    other_province = subscribe(nm_forecaster, products=["anomalies:fluid"])
    other_discipline = subscribe(jx_chair, products=["anomalies:seismology"])
    away = subscribe(jx_viewer, products=["anomalies:fluid"], region={"center": [117, 30], "radius_km": 50})

    with mock.patch.object(delivery, "notice_enqueue"):
        with django_capture_on_commit_callbacks(execute=True):
            report = zero_report_submit(
                actor=as_actor(jx_reporter),
                unit=jx_fluid_unit,
                period=timezone.localdate() - timedelta(days=1),
                status="anomaly",
                anomaly=AnomalyInput("水位", "水位突升 0.8 m", timezone.now() - timedelta(hours=3)),
            )
        anomaly = report.anomaly
        assert [(n.kind, n.version) for n in own.notices.all()] == [("new", 1)]
        assert own.notices.get().title == "新异常：流体，南昌井 · 水位"
        assert own.notices.get().url == f"/disciplines/anomalies/{anomaly.pk}/"
        assert national.notices.count() == 0  # not published to national units yet

        with django_capture_on_commit_callbacks(execute=True):
            anomaly = anomaly_services.anomaly_assign(
                actor=as_actor(jx_expert2), anomaly=anomaly, assignee=jx_expert
            )
        assert own.notices.count() == 1  # an assignment is not told
        verification_services.verification_save(
            actor=as_actor(jx_expert),
            anomaly=anomaly,
            observation="南昌井 水位",
            instrument="SWY-II 水位仪",
            onset_at=anomaly.onset_at,
            shape="阶跃上升",
            amplitude="0.8 m",
            checks=complete_checks(),
            analysis="排除干扰后仍存在",
            conclusion="precursory",
        )
        with django_capture_on_commit_callbacks(execute=True):
            anomaly = verification_services.anomaly_submit_verification(
                actor=as_actor(jx_expert), anomaly=anomaly
            )
        latest = own.notices.order_by("-version").first()
        assert (latest.kind, latest.version) == ("update", 2)
        assert "前兆异常" in latest.title
        assert national.notices.count() == 0

        assessment_services.rating_save(
            actor=as_actor(jx_expert2),
            anomaly=anomaly,
            credibility="B",
            relation="possible",
            recommendation="track",
        )
        with django_capture_on_commit_callbacks(execute=True):
            assessment_services.anomaly_assess(actor=as_actor(jx_expert2), anomaly=anomaly)

    assert [(n.kind, n.version) for n in own.notices.order_by("version")] == [
        ("new", 1),
        ("update", 2),
        ("update", 3),
    ]
    assert [(n.kind, n.version) for n in national.notices.all()] == [("new", 3)]
    for nobody in (other_province, other_discipline, away):
        assert nobody.notices.count() == 0


def test_an_anomaly_without_a_place_goes_by_its_bureaus_jurisdiction(
    jx, jx_forecaster, jx_chair, disciplines
):
    from tests.factories import AnomalyFactory

    inside = subscribe(jx_forecaster, products=["anomalies:fluid"])
    subscribe(jx_chair, products=["anomalies:fluid"], region=NM_CIRCLE)
    anomaly = AnomalyFactory(bureau=jx, discipline=disciplines["fluid"], location=None)
    with mock.patch.object(delivery, "notice_enqueue"):
        notices = notice_services.anomaly_match(
            anomaly_id=anomaly.pk, bureau_id=jx.pk, action="report", now=NOON
        )
        assert (
            notice_services.anomaly_match(anomaly_id=anomaly.pk, bureau_id=jx.pk, action="assign", now=NOON)
            == []
        )
    assert [n.subscription_id for n in notices] == [inside.pk]
    assert SubscriptionNotice.objects.count() == 1
