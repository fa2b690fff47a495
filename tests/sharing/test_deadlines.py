"""The deadline of an answer, with the clock moved: a request past it is escalated to the
owner's bureau admins once (audited) and shown overdue to both bureaus; an approved
request's grant expires by itself and the sweep then says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Notification
from sharing.models import DataRequest, Grant
from sharing.services import requests as services
from sharing.tasks import sweep_task

pytestmark = pytest.mark.django_db

ASKED = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # Friday 10:00 Beijing; due Thursday 00:00
DUE = dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)


def test_a_request_is_escalated_once_when_its_deadline_passes(
    datasets, nm_forecaster, jx_steward, jx_admin, ask
):
    # given
    request = ask(nm_forecaster, datasets["station:JX-XS"], now=ASKED)
    Notification.objects.all().delete()
    # when the clock is just before the deadline
    assert services.requests_escalate(now=DUE - dt.timedelta(seconds=1)) == []
    # when it passed
    assert services.requests_escalate(now=DUE + dt.timedelta(minutes=5)) == [request.pk]
    # then
    request.refresh_from_db()
    assert request.escalated_at == DUE + dt.timedelta(minutes=5)
    assert request.state == DataRequest.State.PENDING
    to_admin = Notification.objects.get(recipient=jx_admin)
    assert (to_admin.level, to_admin.bureau.code, to_admin.url) == (
        "warning",
        "JX",
        request.get_absolute_url(),
    )
    assert Notification.objects.get(recipient=nm_forecaster).bureau.code == "NM"
    assert not Notification.objects.filter(recipient=jx_steward).exists()
    escalations = AuditEvent.objects.filter(action="data_request.escalate", target_id=str(request.pk))
    assert escalations.count() == 1
    assert escalations.get().actor is None
    # and once only
    assert services.requests_escalate(now=DUE + dt.timedelta(days=3)) == []
    assert escalations.count() == 1


def test_an_answered_request_is_not_escalated(datasets, nm_forecaster, jx_steward, ask, as_actor):
    request = ask(nm_forecaster, datasets["station:JX-XS"], now=ASKED)
    services.request_refuse(actor=as_actor(jx_steward), request=request, reason="不提供")
    assert services.requests_escalate(now=DUE + dt.timedelta(days=1)) == []


def test_overdue_is_shown_to_both_bureaus(client, api, datasets, nm_forecaster, jx_steward, ask):
    from django.utils import timezone

    request = ask(nm_forecaster, datasets["station:JX-XS"], now=timezone.now() - dt.timedelta(days=10))
    for user, side in ((jx_steward, "to_me"), (nm_forecaster, "mine")):
        body = api(user).get(f"/api/v1/data-requests/?side={side}").json()
        assert [(r["id"], r["overdue"]) for r in body["results"]] == [(request.pk, True)]
        client.force_login(user)
        page = client.get(reverse("sharing:requests") + f"?side={side}").content.decode()
        assert 'data-overdue="1"' in page
        detail = client.get(reverse("sharing:request-detail", args=[request.pk])).content.decode()
        assert 'id="request-overdue"' in detail
    only_late = api(jx_steward).get("/api/v1/data-requests/?side=to_me&overdue=false").json()
    assert only_late["results"] == []


def test_an_expired_grant_opens_nothing_and_the_sweep_marks_the_request_expired(
    datasets, nm_forecaster, jx_steward, ask, as_actor
):
    from django.utils import timezone

    from observations.models import SeriesDay

    nm = as_actor(nm_forecaster)
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    expires = timezone.now() + dt.timedelta(days=10)
    services.request_approve(actor=as_actor(jx_steward), request=request, expires=expires)
    assert SeriesDay.objects.visible_to(nm).count() == 4
    assert services.requests_expire(now=expires - dt.timedelta(seconds=1)) == []
    # the clock moves past the expiry: no job is needed for the data to close
    Grant.objects.filter(request=request).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert SeriesDay.objects.visible_to(nm).count() == 0
    assert services.requests_expire() == [request.pk]
    request.refresh_from_db()
    assert request.state == DataRequest.State.EXPIRED
    assert AuditEvent.objects.filter(action="data_request.expire", target_id=str(request.pk)).count() == 1


def test_the_beat_sweep_runs_escalation_expiry_and_push_announcements(datasets, nm_forecaster, ask):
    from django.utils import timezone

    ask(nm_forecaster, datasets["station:JX-XS"], now=timezone.now() - dt.timedelta(days=10))
    assert sweep_task() == {"escalated": 1, "expired": 0, "announced": 0}
    assert sweep_task() == {"escalated": 0, "expired": 0, "announced": 0}
