"""Requests for on-request datasets: asking, approving (narrowing, expiry), refusing with a
reason, revoking; who may do which (403 / 404 / 409), what is audited and who is told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from observations.models import SeriesDay
from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import AuditEvent, Notification
from sharing.models import DataRequest, Grant, Level
from sharing.services import requests as services
from sharing.services.datasets import dataset_update
from sharing.services.requests import Scope

pytestmark = pytest.mark.django_db

State = DataRequest.State


def _actions(request):
    return list(
        AuditEvent.objects.filter(target_type="sharing.datarequest", target_id=str(request.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_request_is_pending_until_its_deadline_and_the_stewards_are_told(
    datasets, nm_forecaster, jx_steward, jx_admin, ask
):
    # given Friday 2026-11-27 10:00 Beijing time
    asked = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    # when
    request = ask(nm_forecaster, datasets["station:JX-XS"], now=asked, period_start=dt.date(2026, 11, 1))
    # then
    assert request.state == State.PENDING
    assert request.bureau.code == "JX"
    assert request.requester_bureau.code == "NM"
    assert request.due_at == dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)  # Thursday 00:00 Beijing
    assert _actions(request) == ["data_request.create"]
    told = Notification.objects.filter(kind="data_request")
    assert [n.recipient for n in told] == [jx_steward]  # a steward answers; the admin is not bothered
    assert told.get().bureau.code == "JX"
    assert told.get().url == request.get_absolute_url()


def test_without_a_steward_the_bureau_admins_are_told(datasets, nm_forecaster, jx_admin, ask):
    ask(nm_forecaster, datasets["station:JX-XS"])
    assert [n.recipient for n in Notification.objects.filter(kind="data_request")] == [jx_admin]


def test_the_deadline_follows_the_bureaus_own_setting(datasets, nm_forecaster, jx_admin, ask, as_actor):
    from sharing.services.datasets import sharing_settings_set

    sharing_settings_set(actor=as_actor(jx_admin), answer_days=5)
    asked = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    request = ask(nm_forecaster, datasets["station:JX-XS"], now=asked)
    assert request.due_at == dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)  # end of Friday 12-04


@pytest.mark.parametrize(
    ("scope", "field"),
    [
        ({"period_start": dt.date(2026, 11, 10), "period_end": dt.date(2026, 11, 1)}, "period_end"),
        ({"channels": (987654321,)}, "channels"),
    ],
)
def test_a_scope_outside_the_dataset_is_400_naming_the_field(datasets, nm_forecaster, ask, scope, field):
    with pytest.raises(InvalidInput) as refused:
        ask(nm_forecaster, datasets["station:JX-XS"], **scope)
    assert refused.value.field == field
    assert not DataRequest.objects.exists()


def test_no_purpose_is_400(datasets, nm_forecaster, ask):
    with pytest.raises(InvalidInput) as refused:
        ask(nm_forecaster, datasets["station:JX-XS"], purpose="  ")
    assert refused.value.field == "purpose"


def test_channels_of_a_catalog_are_400(jx, nm_forecaster, ask, datasets):
    from sharing.models import Dataset

    catalog = Dataset.objects.create(bureau=jx, kind="catalog", key="catalog", title_zh="江西目录")
    with pytest.raises(InvalidInput) as refused:
        ask(nm_forecaster, catalog, channels=(datasets["station:JX-XS"].pk,))
    assert refused.value.field == "channels"


@pytest.mark.parametrize("level", [Level.OPEN, Level.NOT_SHARED])
def test_only_a_dataset_on_request_is_asked_for(datasets, nm_forecaster, jx_steward, ask, as_actor, level):
    dataset = dataset_update(actor=as_actor(jx_steward), dataset=datasets["station:JX-XS"], level=level)
    with pytest.raises(PermissionDenied):
        ask(nm_forecaster, dataset)


def test_ones_own_bureaus_dataset_is_not_asked_for(datasets, jx_forecaster, ask):
    with pytest.raises(PermissionDenied):
        ask(jx_forecaster, datasets["station:JX-XS"])


def test_approving_grants_the_part_of_the_scope_chosen_until_it_expires(
    datasets, channels, nm_forecaster, jx_steward, ask, as_actor
):
    level, temperature = channels
    request = ask(
        nm_forecaster,
        datasets["station:JX-XS"],
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        channels=(level.pk, temperature.pk),
    )
    expires = timezone.now() + dt.timedelta(days=30)
    approved = services.request_approve(
        actor=as_actor(jx_steward),
        request=request,
        scope=Scope(dt.date(2026, 11, 5), dt.date(2026, 11, 30), (level.pk,)),
        expires=expires,
        comment="仅限本研究",
    )
    assert approved.state == State.APPROVED
    assert approved.decided_by == jx_steward
    grant = Grant.objects.get(request=request)
    assert (grant.grantee.code, grant.period_start, grant.channel_ids, grant.expires_at) == (
        "NM",
        dt.date(2026, 11, 5),
        [level.pk],
        expires,
    )
    assert grant.starts_at == dt.datetime(2026, 11, 4, 16, 0, tzinfo=dt.UTC)  # 11-05 00:00 Beijing
    assert grant.ends_at == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 12-01 00:00 Beijing
    assert _actions(request) == ["data_request.create", "data_request.approve"]
    assert AuditEvent.objects.filter(action="grant.create", target_id=str(grant.pk)).exists()
    told = Notification.objects.filter(recipient=nm_forecaster, kind="data_request").get()
    assert told.bureau.code == "NM"  # the link opens in the asking bureau


@pytest.mark.parametrize(
    ("scope", "field"),
    [
        (Scope(dt.date(2026, 10, 1), dt.date(2026, 11, 30)), "period_start"),
        (Scope(dt.date(2026, 11, 1), dt.date(2026, 12, 31)), "period_end"),
    ],
)
def test_approving_cannot_widen_the_scope(datasets, nm_forecaster, jx_steward, ask, as_actor, scope, field):
    request = ask(
        nm_forecaster,
        datasets["station:JX-XS"],
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
    )
    with pytest.raises(InvalidInput) as refused:
        services.request_approve(actor=as_actor(jx_steward), request=request, scope=scope)
    assert refused.value.field == field
    request.refresh_from_db()
    assert request.state == State.PENDING
    assert not Grant.objects.exists()


def test_approving_other_channels_than_asked_is_400(
    datasets, channels, nm_forecaster, jx_steward, ask, as_actor
):
    level, temperature = channels
    request = ask(nm_forecaster, datasets["station:JX-XS"], channels=(level.pk,))
    with pytest.raises(InvalidInput) as refused:
        services.request_approve(
            actor=as_actor(jx_steward), request=request, scope=Scope(channels=(temperature.pk,))
        )
    assert refused.value.field == "channels"


def test_an_expiry_in_the_past_is_400(datasets, nm_forecaster, jx_steward, ask, as_actor):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    with pytest.raises(InvalidInput) as refused:
        services.request_approve(
            actor=as_actor(jx_steward), request=request, expires=timezone.now() - dt.timedelta(hours=1)
        )
    assert refused.value.field == "expires"


def test_refusing_needs_a_reason(datasets, nm_forecaster, jx_steward, ask, as_actor):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    with pytest.raises(InvalidInput) as refused:
        services.request_refuse(actor=as_actor(jx_steward), request=request, reason=" ")
    assert refused.value.field == "reason"
    refused_request = services.request_refuse(
        actor=as_actor(jx_steward), request=request, reason="涉及未公开资料"
    )
    assert (refused_request.state, refused_request.reason) == (State.REFUSED, "涉及未公开资料")
    assert not Grant.objects.exists()


def test_the_asking_bureau_may_not_decide_and_another_bureau_does_not_see_it(
    datasets, nm_forecaster, nm_admin, cenc_forecaster, ask, as_actor
):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    with pytest.raises(PermissionDenied):
        services.request_approve(actor=as_actor(nm_admin), request=request)
    with pytest.raises(NotFound):
        services.request_approve(actor=as_actor(cenc_forecaster), request=request)
    request.refresh_from_db()
    assert request.state == State.PENDING
    assert _actions(request) == ["data_request.create"]


def test_a_forecaster_of_the_owner_may_not_decide(datasets, nm_forecaster, jx_forecaster, ask, as_actor):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    with pytest.raises(PermissionDenied):
        services.request_refuse(actor=as_actor(jx_forecaster), request=request, reason="不")


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("approve", "approve"),
        ("approve", "refuse"),
        ("refuse", "approve"),
        ("refuse", "revoke"),
        ("revoke", "revoke"),
    ],
)
def test_a_decided_request_is_409(datasets, nm_forecaster, jx_steward, ask, as_actor, first, then):
    steward = as_actor(jx_steward)
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    if first == "revoke":
        services.request_approve(actor=steward, request=request)
    services.request_transition(actor=steward, request=request, action=first, reason="原因")
    before = _actions(request)
    with pytest.raises(InvalidTransition):
        services.request_transition(actor=steward, request=request, action=then, reason="原因")
    assert _actions(request) == before


def test_revoking_ends_the_access_at_once(datasets, channels, nm_forecaster, jx_steward, ask, as_actor):
    nm = as_actor(nm_forecaster)
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    services.request_approve(actor=as_actor(jx_steward), request=request)
    assert SeriesDay.objects.visible_to(nm).count() == 4
    revoked = services.request_revoke(actor=as_actor(jx_steward), request=request, reason="研究结束")
    assert revoked.state == State.REVOKED
    assert SeriesDay.objects.visible_to(nm).count() == 0
    assert Grant.objects.get(request=request).revoked_by == jx_steward
    assert AuditEvent.objects.filter(action="grant.revoke").count() == 1


def test_scope_or_expires_with_refuse_is_400(datasets, nm_forecaster, jx_steward, ask, as_actor):
    request = ask(nm_forecaster, datasets["station:JX-XS"])
    with pytest.raises(InvalidInput) as refused:
        services.request_transition(
            actor=as_actor(jx_steward), request=request, action="refuse", reason="不", expires=timezone.now()
        )
    assert refused.value.field == "expires"
