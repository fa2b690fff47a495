"""Post-quake cases: the reaction opens one case per bureau and event with the clock from the
quick report's receipt; the draft carries its sections; tenancy, pages and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import AlertRule, QuickReportMessage
from portal.exceptions import InvalidTransition, PermissionDenied
from postquake.models import CaseState, DraftStatus, PostQuakeCase, PostQuakeSettings
from postquake.services import case_close, case_open, draft_build, opinion_transition
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def _mainshock(jx, magnitude=6.0, minutes_ago=10):
    return EventFactory(
        bureau=jx,
        magnitude=magnitude,
        origin_time=timezone.now() - dt.timedelta(minutes=minutes_ago),
        public_id=f"main-{magnitude}-{minutes_ago}",
    )


def _receipt(event, at):
    return QuickReportMessage.objects.create(
        bureau=event.bureau,
        text="sms",
        received_at=at,
        fingerprint=f"fp-{at.timestamp()}",
        status="parsed",
        event=event,
    )


def test_the_reaction_opens_one_case_with_the_clock_from_the_first_quick_report(
    jx, django_capture_on_commit_callbacks
):
    event = _mainshock(jx)
    first = event.origin_time + dt.timedelta(minutes=2)
    _receipt(event, first + dt.timedelta(minutes=3))
    _receipt(event, first)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(event_id=event.pk, bureau_id=jx.pk)
    assert case.clock_start == first
    assert case.due_at == first + dt.timedelta(minutes=30)
    assert case.state == CaseState.OPEN
    # the draft task ran on commit (eager Celery)
    case.refresh_from_db()
    assert case.draft_status == DraftStatus.DONE
    # again: the same case, no second one
    again = case_open(event_id=event.pk, bureau_id=jx.pk)
    assert again.pk == case.pk
    assert PostQuakeCase.objects.filter(event=event).count() == 1


def test_the_deadline_is_the_bureaus_setting_and_without_a_quick_report_the_events_creation(jx):
    PostQuakeSettings.objects.create(bureau=jx, due_minutes=45)
    event = _mainshock(jx)
    case = case_open(event_id=event.pk, bureau_id=jx.pk)
    assert case.clock_start == event.created_at
    assert case.due_at == event.created_at + dt.timedelta(minutes=45)


def test_the_arrival_of_a_quake_opens_the_case_through_the_alert_rule(jx, django_capture_on_commit_callbacks):
    from catalog import arrival

    AlertRule.objects.create(bureau=jx, topic_report=False, emergency_meeting=False, post_quake_case=True)
    event = _mainshock(jx)
    with django_capture_on_commit_callbacks(execute=True):
        arrival.decide(event_id=event.pk)
    assert PostQuakeCase.objects.get(event=event).bureau == jx


def test_the_draft_has_every_section_with_the_sequence_so_far(jx):
    main = _mainshock(jx, magnitude=6.0, minutes_ago=60)
    for i, mag in enumerate([4.2, 3.1, 3.5, 2.8]):
        EventFactory(
            bureau=jx,
            magnitude=mag,
            origin_time=main.origin_time + dt.timedelta(minutes=5 * (i + 1)),
            longitude=115.02,
            latitude=28.01,
        )
    EventFactory(
        bureau=jx, magnitude=5.6, origin_time=main.origin_time - dt.timedelta(days=3000), longitude=115.5
    )
    EventFactory(bureau=jx, magnitude=4.0, origin_time=main.origin_time, longitude=118.0)  # outside the zone
    case = PostQuakeCase.objects.create(
        bureau=jx, event=main, opened_at=timezone.now(), clock_start=timezone.now(), due_at=timezone.now()
    )
    case = draft_build(case_id=case.pk)
    draft = case.draft
    assert set(draft) >= {
        "event",
        "sequence",
        "sequence_type",
        "bath",
        "probabilities",
        "analogues",
        "faults",
        "regional",
    }
    assert draft["sequence"]["count"] == 4
    assert draft["sequence"]["largest"]["magnitude"] == 4.2
    assert draft["sequence"]["zone_radius_km"] == 10.0
    # dM = 6.0 - 4.2 = 1.8: mainshock-aftershock, few events: low confidence
    assert draft["sequence_type"]["type"] == "mainshock_aftershock"
    assert draft["sequence_type"]["confidence"] == "low"
    assert draft["bath"]["max_aftershock"] == 4.8
    assert draft["probabilities"]["parameters"]["source"] == "generic"
    assert {(r["min_magnitude"], r["days"]) for r in draft["probabilities"]["probabilities"]} == {
        (m, d) for m in (5.0, 6.0) for d in (1, 7, 30)
    }
    assert draft["probabilities"]["fitted"] is None
    assert [a["event"]["magnitude"] for a in draft["analogues"]["analogues"]] == [5.6]
    assert draft["regional"]["ok"] is False  # too few events for a b-value: it says why
    assert draft["regional"]["reason"]


def test_only_the_chair_issues_and_closes(jx, jx_chair, jx_forecaster, as_actor):
    case = case_open(event_id=_mainshock(jx).pk, bureau_id=jx.pk)
    case = draft_build(case_id=case.pk)
    opinion = case.opinions.get(number=1)
    with pytest.raises(PermissionDenied):
        opinion_transition(actor=as_actor(jx_forecaster), opinion=opinion, action="issue")
    opinion_transition(actor=as_actor(jx_chair), opinion=opinion, action="issue")
    case.refresh_from_db()
    assert case.state == CaseState.OPINION_ISSUED
    assert case.issued_at is not None
    with pytest.raises(InvalidTransition):
        opinion_transition(actor=as_actor(jx_chair), opinion=opinion, action="issue")
    with pytest.raises(PermissionDenied):
        case_close(actor=as_actor(jx_forecaster), case=case)
    assert case_close(actor=as_actor(jx_chair), case=case).state == CaseState.CLOSED


def test_pages_and_api_show_the_bureaus_cases_and_another_bureau_gets_404(
    jx, jx_forecaster, nm_forecaster, client, api
):
    case = case_open(event_id=_mainshock(jx).pk, bureau_id=jx.pk)
    draft_build(case_id=case.pk)
    client.force_login(jx_forecaster)
    listing = client.get(reverse("postquake:case-list"))
    assert listing.status_code == 200
    assert f'data-case="{case.pk}"' in listing.content.decode()
    detail = client.get(reverse("postquake:case-detail", kwargs={"case_id": case.pk}))
    assert detail.status_code == 200
    assert 'id="section-probabilities"' in detail.content.decode()

    body = api(jx_forecaster).get("/api/v1/post-quake-cases/").json()
    assert [row["id"] for row in body["results"]] == [case.pk]
    one = api(jx_forecaster).get(f"/api/v1/post-quake-cases/{case.pk}/").json()
    assert one["status"] == "open"
    assert one["draft"]["bath_max_aftershock"] == 4.8
    assert one["draft"]["parameters"]["source"] == "generic"
    assert one["deadline"] == case.due_at.isoformat()

    assert api(nm_forecaster).get(f"/api/v1/post-quake-cases/{case.pk}/").status_code == 404
    client.force_login(nm_forecaster)
    assert client.get(reverse("postquake:case-detail", kwargs={"case_id": case.pk})).status_code == 404


def test_the_dashboard_shows_the_chair_the_open_case_with_its_deadline(
    jx, jx_chair, nm, nm_forecaster, as_actor
):
    from postquake.panels import open_cases

    case = case_open(event_id=_mainshock(jx).pk, bureau_id=jx.pk)
    panel = open_cases(as_actor(jx_chair))
    assert panel.count == 1
    assert panel.items[0].url == case.get_absolute_url()
    assert panel.items[0].level == "warning"  # not yet due
    assert open_cases(as_actor(nm_forecaster)).count == 0


def test_a_revised_mainshock_is_drafted_again_with_its_new_magnitude(
    jx, jx_forecaster, as_actor, django_capture_on_commit_callbacks
):
    """The automatic quick report opens the case; the formal one, a new version of the same
    event with another magnitude, arrives after the first draft: the draft follows it (else
    it would keep the automatic magnitude's Båth figure and probabilities)."""
    from catalog.services.quick_reports import quick_report_submit
    from tests.reports.conftest import jx_sms

    AlertRule.objects.create(
        bureau=jx, threshold_magnitude=5, topic_report=False, emergency_meeting=False, post_quake_case=True
    )
    forecaster = as_actor(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        first = quick_report_submit(actor=forecaster, text=jx_sms("6.1", kind="自动"))
    case = PostQuakeCase.objects.get(event=first.event)
    assert (case.draft_status, case.draft["bath"]["max_aftershock"]) == (DraftStatus.DONE, 4.9)
    with django_capture_on_commit_callbacks(execute=True):
        formal = quick_report_submit(actor=forecaster, text=jx_sms("6.0", lat="28.12"))
    assert (formal.event.pk, formal.event.version) == (first.event.pk, 2)
    case.refresh_from_db()
    assert case.draft["bath"]["max_aftershock"] == 4.8
    assert case.draft["event"]["event"]["magnitude"] == 6.0
    assert case.draft["event_version"] == 2
    # the clock still runs from the first (automatic) report's receipt
    assert case.clock_start == first.message.received_at
    assert PostQuakeCase.objects.count() == 1


def test_a_draft_of_an_earlier_version_does_not_overwrite_the_later_ones(jx):
    """Two drafts of one case at once (the second for a new version of the event): the one that
    read the earlier version and ends last leaves the later version's draft in place."""
    event = _mainshock(jx)
    case = case_open(event_id=event.pk, bureau_id=jx.pk)
    later = {"event_version": event.version + 1, "bath": {"max_aftershock": 4.9}}
    PostQuakeCase.objects.filter(pk=case.pk).update(draft=later, draft_status=DraftStatus.DONE)
    draft_build(case_id=case.pk)
    case.refresh_from_db()
    assert case.draft == later
    # the same version is drafted again (the sequence grew since)
    PostQuakeCase.objects.filter(pk=case.pk).update(draft={"event_version": event.version})
    assert draft_build(case_id=case.pk).draft["bath"]["max_aftershock"] == 4.8
