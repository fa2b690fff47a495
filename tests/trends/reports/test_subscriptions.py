"""Issuing a monthly trend report tells the subscribers of "monthly trend report issued" (the
task ``trends.announce_issued`` on commit, ``subscriptions.services.notices.product_announce``): the
bureau's own people and the national units whose region meets the jurisdiction, never another
province; a correction, issued, is an update."""

from __future__ import annotations

import pytest

from subscriptions.models import SubscriptionNotice

pytestmark = pytest.mark.django_db


def subscribe(person, **data):
    from portal.tenancy import actor_for
    from subscriptions.services.subscriptions import subscription_create

    body = {"region": {"bureau": "JX"}, "min_magnitude": 3.0, "products": ["trend_report_issued"], **data}
    return subscription_create(actor=actor_for(person), data=body)


def _issue(report, as_actor, run_commits, drafter, approver, signer):
    from trends.services import trend_workflow as wf

    wf.trend_report_submit(actor=as_actor(drafter), report=report)
    wf.trend_report_review(actor=as_actor(approver), report=report)
    wf.trend_report_sign_off(actor=as_actor(signer), report=report)
    return run_commits(wf.trend_report_issue, actor=as_actor(signer), report=report)


def test_issuing_tells_its_subscribers_and_a_correction_is_an_update(
    jx,
    nm,
    cenc,
    jx_forecaster,
    jx_approver,
    jx_reviewer,
    jx_viewer,
    nm_forecaster,
    cenc_forecaster,
    as_actor,
    request_report,
    run_commits,
):
    from trends.services import trend_reports

    own = subscribe(jx_viewer)
    national = subscribe(cenc_forecaster, region=None)
    other_province = subscribe(nm_forecaster)  # JX's region, but NM never reads JX's reports
    report = request_report(jx_forecaster, jx)
    assert SubscriptionNotice.objects.count() == 0
    wf_args = (as_actor, run_commits, jx_forecaster, jx_approver, jx_reviewer)
    _issue(report, *wf_args)
    for subscription in (own, national):
        (notice,) = subscription.notices.all()
        assert (notice.product, notice.ref_id, notice.version, notice.kind) == (
            "trend_report_issued",
            report.pk,
            1,
            "new",
        )
        assert notice.url == report.get_absolute_url()
        assert notice.title.startswith("月度趋势报告已发布：")
        assert notice.deliveries.get().outcome == "sent"
    assert other_province.notices.count() == 0
    assert jx_viewer.notifications.filter(kind="subscription").count() == 1

    correction = run_commits(
        trend_reports.trend_report_correct, actor=as_actor(jx_forecaster), report=report, note="地震目录更正"
    )
    correction.refresh_from_db()
    assert correction.compile_status == "done"
    _issue(correction, *wf_args)
    (update,) = own.notices.filter(version=2)
    assert (update.ref_id, update.kind, update.url) == (report.pk, "update", correction.get_absolute_url())
    assert update.title.startswith("更新：月度趋势报告已发布：")
    assert "第 2 版" in update.title
    assert national.notices.filter(version=2, kind="update").count() == 1
    assert other_province.notices.count() == 0


def test_announcing_a_report_not_issued_makes_nothing(jx, jx_forecaster, jx_viewer, request_report):
    from trends.services.trend_workflow import trend_report_announce_issued

    subscribe(jx_viewer)
    report = request_report(jx_forecaster, jx)
    assert trend_report_announce_issued(report_id=report.pk) == []
    assert trend_report_announce_issued(report_id=10**12) == []
