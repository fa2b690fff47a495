"""Services of consultations: meetings, opinions, the conclusion, and the report workflow."""

from __future__ import annotations

import datetime as dt

import pytest

from consultations import selectors
from consultations.models import ConsultationReport, OpinionRevision, ReportStatus, RoomEvent
from consultations.services import conclusion as conclusion_services
from consultations.services import meetings as meeting_services
from consultations.services import opinions as opinion_services
from consultations.services import report_workflow as report_services
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.models import AuditEvent

from .conftest import JX_SQUARE, NM_SQUARE

pytestmark = pytest.mark.django_db

PEOPLE = ["jx_forecaster", "jx_chair", "jx_approver", "jx_expert", "jx_viewer", "jx_admin", "nm_forecaster"]
# transition -> (state it starts from, people allowed to take it)
MATRIX = {
    "submit": ("draft", {"jx_forecaster", "jx_chair"}),
    "return": ("submitted", {"jx_approver"}),
    "review": ("submitted", {"jx_approver"}),
    "sign_off": ("reviewed", {"jx_approver"}),
    "issue": ("signed_off", {"jx_approver"}),
    "archive": ("issued", {"jx_approver", "jx_admin"}),
}
TARGET = {
    "submit": "submitted",
    "return": "returned",
    "review": "reviewed",
    "sign_off": "signed_off",
    "issue": "issued",
    "archive": "archived",
}


def _take(step, actor, report):
    kwargs = {"comment": "请补充"} if step == "return" else {}
    return getattr(report_services, f"report_{step}")(actor=actor, report=report, **kwargs)


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("step", list(MATRIX))
def test_role_matrix_of_every_report_transition(request, report_in, as_actor, step, person):
    # given a report in the state the step starts from
    start, allowed = MATRIX[step]
    report = report_in(start)
    user = request.getfixturevalue(person)
    audits = AuditEvent.objects.count()
    # when / then
    if person in allowed:
        moved = _take(step, as_actor(user), report)
        assert moved.status == TARGET[step]
        trail = AuditEvent.objects.filter(target_id=str(report.pk), action=f"report.{step}").get()
        assert (trail.from_state, trail.to_state, trail.actor) == (start, TARGET[step], user)
    else:
        with pytest.raises(PermissionDenied):
            _take(step, as_actor(user), report)
        report.refresh_from_db()
        assert report.status == start
        assert AuditEvent.objects.count() == audits


ILLEGAL = [
    (step, state)
    for step, (start, _allowed) in MATRIX.items()
    for state in ReportStatus.values
    if TARGET[step] not in report_services.TRANSITIONS.get(state, set())
]


@pytest.mark.parametrize(("step", "state"), ILLEGAL)
def test_illegal_transitions_are_refused_and_change_nothing(
    report_in, jx_chair, jx_approver, as_actor, step, state
):
    report = report_in(state)
    person = jx_chair if step == "submit" else jx_approver
    audits = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition):
        _take(step, as_actor(person), report)
    report.refresh_from_db()
    assert report.status == state
    assert AuditEvent.objects.count() == audits


def test_submitter_cannot_sign_off_own_report(closed_meeting, make_person, jx, as_actor):
    both = make_person("both", (jx, "forecaster"), (jx, "approver"))
    actor = as_actor(both)
    report = report_services.report_create(actor=actor, meeting=closed_meeting)
    report = report_services.report_submit(actor=actor, report=report)
    report = report_services.report_review(actor=actor, report=report)
    with pytest.raises(PermissionDenied):
        report_services.report_sign_off(actor=actor, report=report)


def test_returning_needs_a_comment(report_in, jx_approver, as_actor):
    report = report_in("submitted")
    with pytest.raises(InvalidInput) as exc:
        report_services.report_return(actor=as_actor(jx_approver), report=report, comment=" ")
    assert exc.value.field == "comment"


def test_report_of_an_open_meeting_cannot_be_submitted(jx_meeting, jx_chair, as_actor):
    report = report_services.report_create(actor=as_actor(jx_chair), meeting=jx_meeting)
    with pytest.raises(InvalidTransition, match="Close the meeting"):
        report_services.report_submit(actor=as_actor(jx_chair), report=report)


def test_signed_report_never_changes_and_correction_is_a_new_version(
    report_in, jx_chair, jx_approver, as_actor
):
    # given a signed-off report
    report = report_in("signed_off")
    signed = dict(report.content)
    digest = report.content_sha256
    chair = as_actor(jx_chair)
    # when the meeting's record is edited through the services
    with pytest.raises(InvalidTransition, match="never changes"):
        report_services.report_update(actor=chair, report=report, title="改过的标题")
    # then the signed content and the digest stay
    report.refresh_from_db()
    assert report.content == signed
    assert report.content_sha256 == digest
    assert (
        report_services.report_content(report)["conclusion"]
        == "未来一个月赣中地区存在发生4级左右地震的可能。"
    )
    # and a correction is a new draft version that says what it corrects
    correction = report_services.report_correct(actor=chair, report=report, note="更正预测区域经度")
    assert (correction.version, correction.corrects, correction.status) == (2, report, "draft")
    assert correction.correction_note == "更正预测区域经度"
    report.refresh_from_db()
    assert report.status == "signed_off"
    with pytest.raises(InvalidTransition, match="already in progress"):
        report_services.report_correct(actor=chair, report=report, note="again")


def test_draft_cannot_be_corrected(report_in, jx_chair, as_actor):
    with pytest.raises(InvalidTransition):
        report_services.report_correct(actor=as_actor(jx_chair), report=report_in("draft"), note="x")


# --- opinions ------------------------------------------------------------------------


def test_opinion_from_outside_the_discipline_is_refused(jx_meeting, jx_seis, as_actor):
    with pytest.raises(PermissionDenied, match="流体"):
        opinion_services.opinion_submit(
            actor=as_actor(jx_seis), meeting=jx_meeting, discipline="fluid", summary="x"
        )


def test_opinion_from_another_bureau_is_refused(jx_meeting, nm_fluid, as_actor):
    with pytest.raises(PermissionDenied):
        opinion_services.opinion_submit(
            actor=as_actor(nm_fluid), meeting=jx_meeting, discipline="fluid", summary="x"
        )


def test_revisions_are_kept_until_the_meeting_closes(jx_meeting, jx_expert, jx_chair, as_actor):
    expert = as_actor(jx_expert)
    first = opinion_services.opinion_submit(
        actor=expert, meeting=jx_meeting, discipline="fluid", summary="第一稿"
    )
    second = opinion_services.opinion_submit(
        actor=expert, meeting=jx_meeting, discipline="fluid", summary="第二稿", likelihood="low"
    )
    assert first.pk == second.pk
    assert second.revision == 2
    assert list(
        OpinionRevision.objects.filter(opinion=second).values_list("revision", "content__summary")
    ) == [
        (1, "第一稿"),
        (2, "第二稿"),
    ]
    meeting_services.meeting_open(actor=as_actor(jx_chair), meeting=jx_meeting)
    meeting_services.meeting_close(actor=as_actor(jx_chair), meeting=jx_meeting)
    with pytest.raises(InvalidTransition, match="closed"):
        opinion_services.opinion_submit(
            actor=expert, meeting=jx_meeting, discipline="fluid", summary="第三稿"
        )
    second.refresh_from_db()
    assert (second.summary, second.revision) == ("第二稿", 2)


BOWTIE = {"type": "Polygon", "coordinates": [[[115, 27], [116, 28], [116, 27], [115, 28], [115, 27]]]}
FAR_AWAY = {"type": "Polygon", "coordinates": [[[-70, 10], [-69, 10], [-69, 11], [-70, 11], [-70, 10]]]}


@pytest.mark.parametrize(
    ("region", "reason"),
    [
        (BOWTIE, "crosses itself"),
        (FAR_AWAY, "outside the area"),
        (NM_SQUARE, "far from the jurisdiction"),
        ({"type": "Point", "coordinates": [115, 27]}, "Expected a Polygon"),
        ("{not json", "Not valid GeoJSON"),
    ],
)
def test_bad_regions_are_refused_with_the_reason(jx_meeting, jx_expert, as_actor, region, reason):
    with pytest.raises(InvalidInput, match=reason) as exc:
        opinion_services.opinion_submit(
            actor=as_actor(jx_expert), meeting=jx_meeting, discipline="fluid", summary="x", regions=region
        )
    assert exc.value.field == "regions"
    assert not jx_meeting.opinions.exists()


def test_forecast_terms_are_checked(jx_meeting, jx_chair, as_actor):
    chair = as_actor(jx_chair)
    base = {"region": JX_SQUARE, "likelihood": "high", "min_magnitude": "5.0"}
    with pytest.raises(InvalidInput, match="ends before"):
        conclusion_services.forecast_add(
            actor=chair,
            meeting=jx_meeting,
            window_start=dt.date(2026, 12, 31),
            window_end=dt.date(2026, 12, 1),
            **base,
        )
    with pytest.raises(InvalidInput, match="below the smallest"):
        conclusion_services.forecast_add(
            actor=chair,
            meeting=jx_meeting,
            window_start=dt.date(2026, 12, 1),
            window_end=dt.date(2026, 12, 31),
            max_magnitude="4.0",
            **base,
        )


def test_only_the_chair_writes_the_conclusion(jx_meeting, jx_expert, jx_forecaster, as_actor):
    for person in (jx_expert, jx_forecaster):
        with pytest.raises(PermissionDenied):
            conclusion_services.conclusion_edit(actor=as_actor(person), meeting=jx_meeting, text="x")


def test_room_events_are_numbered_per_meeting(make_meeting, jx_chair, jx_expert, jx_forecaster, as_actor):
    first, second = make_meeting(jx_chair), make_meeting(jx_chair, title="周会商")
    chair = as_actor(jx_chair)
    conclusion_services.conclusion_edit(actor=chair, meeting=first, text="a")
    conclusion_services.comment_add(actor=as_actor(jx_forecaster), meeting=first, text="同意")
    conclusion_services.conclusion_edit(actor=chair, meeting=second, text="b")
    conclusion_services.vote_cast(actor=as_actor(jx_expert), meeting=first, choice="agree", remark="")
    assert list(RoomEvent.objects.filter(meeting=first).values_list("seq", "kind")) == [
        (1, "conclusion"),
        (2, "comment"),
        (3, "vote"),
    ]
    assert list(RoomEvent.objects.filter(meeting=second).values_list("seq", "kind")) == [(1, "conclusion")]
    assert [e.seq for e in selectors.room_events_after(meeting=first, since=1)] == [2, 3]


def test_a_later_vote_replaces_the_earlier(jx_meeting, jx_forecaster, as_actor):
    forecaster = as_actor(jx_forecaster)
    conclusion_services.vote_cast(actor=forecaster, meeting=jx_meeting, choice="agree")
    conclusion_services.vote_cast(actor=forecaster, meeting=jx_meeting, choice="disagree", remark="依据不足")
    assert selectors.vote_tally(meeting=jx_meeting)["counts"] == {"agree": 0, "disagree": 1, "abstain": 0}


def test_outsiders_cannot_vote_or_comment(jx_meeting, nm_forecaster, as_actor):
    with pytest.raises(PermissionDenied):
        conclusion_services.vote_cast(actor=as_actor(nm_forecaster), meeting=jx_meeting, choice="agree")
    with pytest.raises(PermissionDenied):
        conclusion_services.comment_add(actor=as_actor(nm_forecaster), meeting=jx_meeting, text="x")


def test_meeting_people_must_belong_to_its_bureaus(jx_chair, nm_forecaster, as_actor):
    with pytest.raises(InvalidInput, match="holds no role") as exc:
        meeting_services.meeting_create(
            actor=as_actor(jx_chair),
            kind="weekly",
            title="周会商",
            starts_at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
            participants=[nm_forecaster],
        )
    assert exc.value.field == "participants"


def test_joint_meeting_admits_partner_people(jx_chair, nm_forecaster, nm, nm_fluid, make_meeting, as_actor):
    meeting = make_meeting(jx_chair, kind="special_topic", joint=[nm], participants=[nm_forecaster])
    opinion = opinion_services.opinion_submit(
        actor=as_actor(nm_fluid), meeting=meeting, discipline="fluid", summary="蒙"
    )
    assert opinion.bureau == nm


def test_viewer_cannot_schedule_a_meeting(jx_viewer, as_actor):
    with pytest.raises(PermissionDenied):
        meeting_services.meeting_create(
            actor=as_actor(jx_viewer),
            kind="weekly",
            title="x",
            starts_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        )


# --- forecasts for scoring -----------------------------------------------------------


def test_forecasts_for_scoring_list_signed_conclusions_only(report_in, cenc_forecaster, jx_chair, as_actor):
    report = report_in("reviewed")
    window = {"start": dt.date(2026, 12, 10), "end": dt.date(2026, 12, 20)}
    assert selectors.forecasts_for_scoring(actor=as_actor(jx_chair), **window) == []
    report_services.report_sign_off(actor=as_actor(report.meeting.chair and _approver(report)), report=report)
    rows = selectors.forecasts_for_scoring(actor=as_actor(jx_chair), **window)
    assert rows == [
        {
            "window_start": dt.date(2026, 12, 1),
            "window_end": dt.date(2026, 12, 31),
            "region": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[115.0, 27.0], [116.0, 27.0], [116.0, 28.0], [115.0, 28.0], [115.0, 27.0]]]
                ],
            },
            "min_magnitude": 4.0,
            "max_magnitude": 5.0,
            "likelihood": "medium",
            "bureau": "JX",
            "meeting_id": report.meeting_id,
        }
    ]
    # the national centre reads them once the report is issued
    assert selectors.forecasts_for_scoring(actor=as_actor(cenc_forecaster), **window) == []
    report_services.report_issue(actor=as_actor(_approver(report)), report=report)
    assert len(selectors.forecasts_for_scoring(actor=as_actor(cenc_forecaster), **window)) == 1
    assert (
        selectors.forecasts_for_scoring(
            actor=as_actor(jx_chair), start=dt.date(2027, 2, 1), end=dt.date(2027, 3, 1)
        )
        == []
    )


def _approver(report: ConsultationReport):
    from portal.models import User

    return User.objects.get(username="jx_approver")


def test_discipline_representatives_must_be_experts_of_it(
    make_meeting, jx_chair, jx_expert, jx_seis, as_actor
):
    meeting = make_meeting(jx_chair, representatives={"fluid": jx_expert, "seismology": jx_seis})
    assert sorted(meeting.representatives.values_list("discipline__code", "user__username")) == [
        ("fluid", "jx_expert"),
        ("seismology", "jx_seis"),
    ]
    assert set(meeting.participants.all()) == {jx_expert, jx_seis}
    with pytest.raises(InvalidInput, match="not an expert") as exc:
        meeting_services.meeting_update(
            actor=as_actor(jx_chair), meeting=meeting, representatives={"fluid": jx_seis}
        )
    assert exc.value.field == "representatives"
    assert meeting.representatives.get(discipline__code="fluid").user == jx_expert
