"""The first draft is a background job that ends: a draft whose computation raises ends failed
with the reason shown on the case page (and the duty team told); the chair and forecasters
draft it again; the watchdog fails a draft no worker finished. The draft's times show in
Beijing time."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from portal import jobs
from portal.models import AuditEvent, Notification
from postquake.models import CaseState, DraftStatus, PostQuakeCase
from postquake.services import case_close, case_open, draft_build, draft_job
from postquake.tasks import MAX_RETRIES, draft_case_task
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def _mainshock(jx, **kwargs):
    fields = {"magnitude": 6.0, "origin_time": timezone.now() - dt.timedelta(minutes=10), **kwargs}
    return EventFactory(bureau=jx, **fields)


@pytest.fixture
def broken_draft(monkeypatch):
    """The draft's computation raises (a section's bug outside the per-section guard, a
    reader that fails): what a person must see instead of "drafting" for ever."""

    def explode(case, now=None):
        raise RuntimeError("the catalog reader broke")

    monkeypatch.setattr("postquake.services.draft.draft_compute", explode)


def _opened_with_a_failed_draft(jx, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(event_id=_mainshock(jx).pk, bureau_id=jx.pk)
    case.refresh_from_db()
    return case


def test_a_draft_whose_computation_raises_ends_failed_with_the_reason(
    jx, jx_chair, jx_forecaster, jx_viewer, broken_draft, client, django_capture_on_commit_callbacks
):
    case = _opened_with_a_failed_draft(jx, django_capture_on_commit_callbacks)
    assert case.draft_status == DraftStatus.FAILED
    # the job's message, in the portal's language (the worker's): what failed, where to look
    assert case.draft_error == "内部错误（RuntimeError），管理员可在日志中查看详情。"
    assert case.state == CaseState.OPEN  # the case itself goes on: the chair may write the opinion
    # the duty team is told, with the link to the case; the viewer is not
    told = Notification.objects.filter(url=case.get_absolute_url())
    assert sorted(told.values_list("recipient__username", flat=True)) == ["jx_chair", "jx_forecaster"]
    assert (
        AuditEvent.objects.filter(action="postquake_case.draft_failed", target_id=str(case.pk)).count() == 1
    )
    # the page says so, with the reason and the button
    client.force_login(jx_forecaster)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-draft-status="failed"' in page
    assert '<span id="draft-error">内部错误（RuntimeError）' in page
    assert 'id="redraft"' in page
    assert 'id="draft-pending"' not in page
    client.force_login(jx_viewer)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="draft-error"' in page
    assert 'id="redraft"' not in page


def test_the_api_says_why_the_draft_failed(
    jx, jx_forecaster, api, broken_draft, django_capture_on_commit_callbacks
):
    case = _opened_with_a_failed_draft(jx, django_capture_on_commit_callbacks)
    body = api(jx_forecaster).get(f"/api/v1/post-quake-cases/{case.pk}/").json()
    assert (body["draft_status"], "RuntimeError" in body["draft_error"]) == ("failed", True)


def test_the_forecaster_drafts_it_again_and_it_is_done(
    jx, jx_forecaster, client, broken_draft, monkeypatch, django_capture_on_commit_callbacks
):
    case = _opened_with_a_failed_draft(jx, django_capture_on_commit_callbacks)
    monkeypatch.undo()  # the reader is mended
    client.force_login(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("postquake:case-redraft", kwargs={"case_id": case.pk}))
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    case.refresh_from_db()
    assert (case.draft_status, case.draft_error, case.draft["bath"]["max_aftershock"]) == (
        DraftStatus.DONE,
        "",
        4.8,
    )
    redraft = AuditEvent.objects.get(action="postquake_case.redraft")
    assert (redraft.actor.username, "RuntimeError" in redraft.extra["error"]) == ("jx_forecaster", True)


def test_redraft_is_for_the_duty_team_of_the_bureau_and_a_failed_draft_only(
    jx,
    jx_chair,
    jx_viewer,
    nm_forecaster,
    client,
    as_actor,
    broken_draft,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    case = _opened_with_a_failed_draft(jx, django_capture_on_commit_callbacks)
    url = reverse("postquake:case-redraft", kwargs={"case_id": case.pk})
    client.force_login(jx_viewer)
    assert client.post(url).status_code == 403
    client.force_login(nm_forecaster)
    assert client.post(url).status_code == 404
    client.force_login(jx_chair)
    assert client.get(url).status_code == 405
    case.refresh_from_db()
    assert case.draft_status == DraftStatus.FAILED
    assert not AuditEvent.objects.filter(action="postquake_case.redraft").exists()
    # once drafted, nothing to draft again; a closed case is not drafted again either
    monkeypatch.undo()
    draft_job.draft_redraft(actor=as_actor(jx_chair), case=case)
    draft_build(case_id=case.pk)
    assert client.post(url).status_code == 409
    PostQuakeCase.objects.filter(pk=case.pk).update(draft_status=DraftStatus.FAILED)
    case_close(actor=as_actor(jx_chair), case=case)
    assert client.post(url).status_code == 409


def test_transient_errors_are_retried_and_after_the_last_retry_the_draft_fails(jx, monkeypatch):
    case = case_open(event_id=_mainshock(jx).pk, bureau_id=jx.pk)

    def database_gone(case, now=None):
        raise OperationalError("the database went away")

    monkeypatch.setattr("postquake.services.draft.draft_compute", database_gone)
    with pytest.raises(Retry):  # eager Celery says the retry it would schedule
        draft_case_task.apply(kwargs={"case_id": case.pk}, retries=MAX_RETRIES - 1)
    case.refresh_from_db()
    assert case.draft_status == DraftStatus.PENDING  # a retry is due
    draft_case_task.apply(kwargs={"case_id": case.pk}, retries=MAX_RETRIES)
    case.refresh_from_db()
    assert (case.draft_status, "OperationalError" in case.draft_error) == (DraftStatus.FAILED, True)


def test_the_watchdog_fails_a_draft_no_worker_finished(jx):
    stuck = case_open(event_id=_mainshock(jx, public_id="stuck").pk, bureau_id=jx.pk)
    recent = case_open(event_id=_mainshock(jx, public_id="recent").pk, bureau_id=jx.pk)
    now = timezone.now()
    PostQuakeCase.objects.filter(pk=stuck.pk).update(opened_at=now - dt.timedelta(minutes=11))
    PostQuakeCase.objects.filter(pk=recent.pk).update(opened_at=now - dt.timedelta(minutes=30))
    # asked for again 5 minutes ago: still within its time
    PostQuakeCase.objects.filter(pk=recent.pk).update(draft_requested_at=now - dt.timedelta(minutes=5))
    assert jobs.watchdog(now=now).get("postquake.draft_case") == [stuck.pk]
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.draft_status, stuck.draft_error) == (
        DraftStatus.FAILED,
        "没有处理进程及时完成草稿，请重新起草。",
    )
    assert recent.draft_status == DraftStatus.PENDING
    # a draft that ends late after all is stored: done wins
    assert draft_build(case_id=stuck.pk).draft_status == DraftStatus.DONE
    assert PostQuakeCase.objects.get(pk=stuck.pk).draft_error == ""


def test_analogue_dates_and_the_largest_aftershock_are_shown_in_beijing_time(jx, jx_forecaster, client):
    main = _mainshock(jx, origin_time=dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC))
    # an earlier M5.6 at 20:00 UTC on 2019-03-04: 04:00 on 2019-03-05 in Beijing
    EventFactory(
        bureau=jx,
        magnitude=5.6,
        origin_time=dt.datetime(2019, 3, 4, 20, 0, tzinfo=dt.UTC),
        longitude=main.longitude + 0.5,
        latitude=main.latitude,
    )
    EventFactory(
        bureau=jx,
        magnitude=4.1,
        origin_time=dt.datetime(2026, 6, 1, 3, 40, tzinfo=dt.UTC),
        longitude=main.longitude + 0.01,
        latitude=main.latitude,
    )
    case = case_open(event_id=main.pk, bureau_id=jx.pk)
    case = draft_build(case_id=case.pk, now=dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC))
    [analogue] = case.draft["analogues"]["analogues"]
    assert analogue["event"]["origin_time"] == "2019-03-04T20:00:00+00:00"  # stored in UTC
    client.force_login(jx_forecaster)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "<span data-analogue-date>2019-03-05</span> M5.6" in page
    assert "2019-03-04" not in page
    assert "M4.1 (2026-06-01 11:40)" in page
