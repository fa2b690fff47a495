"""Meetings and consultation reports check the right before the state: 403 before 409.

Someone without the right learns nothing about the object's state (403, nothing
changed); someone with it is told why not now (409 with a message).
"""

from __future__ import annotations

import pytest

from consultations.models import ConsultationReport, Meeting
from consultations.services import meetings as meeting_services
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consultations"

# step -> (HTTP method, path, body, a state it is illegal from, who has the right, who has not,
#          the start of the 409 message)
REPORT_STEPS = {
    "submit": (
        "post",
        "submit",
        {},
        "issued",
        "jx_chair",
        "jx_approver",
        "This consultation report is issued",
    ),
    "return": (
        "post",
        "return",
        {"comment": "补充"},
        "draft",
        "jx_approver",
        "jx_forecaster",
        "This consultation report is",
    ),
    "review": (
        "post",
        "review",
        {},
        "draft",
        "jx_approver",
        "jx_forecaster",
        "This consultation report is draft",
    ),
    "sign_off": (
        "post",
        "sign-off",
        {},
        "submitted",
        "jx_approver",
        "jx_forecaster",
        "This consultation report is",
    ),
    "issue": ("post", "issue", {}, "reviewed", "jx_approver", "jx_forecaster", "This consultation report is"),
    "archive": (
        "post",
        "archive",
        {},
        "signed_off",
        "jx_approver",
        "jx_forecaster",
        "This consultation report is",
    ),
    "correct": ("post", "correct", {"note": "更正"}, "draft", "jx_chair", "jx_approver", "Only a signed-off"),
    "update": ("patch", "", {"title": "新标题"}, "issued", "jx_chair", "jx_approver", "A signed report"),
}


def _report_state(report: ConsultationReport) -> tuple:
    report.refresh_from_db()
    return (
        report.status,
        report.title,
        ConsultationReport.objects.filter(meeting=report.meeting).count(),
        AuditEvent.objects.filter(target_id=str(report.pk)).count(),
    )


@pytest.mark.parametrize("allowed", [False, True], ids=["without-the-right", "with-the-right"])
@pytest.mark.parametrize("step", list(REPORT_STEPS))
def test_report_step_from_an_illegal_state(request, api, report_in, jx_forecaster, step, allowed):
    method, path, body, state, right, no_right, message = REPORT_STEPS[step]
    # given a report in a state the step cannot start from
    report = report_in(state)
    before = _report_state(report)
    person = request.getfixturevalue(right if allowed else no_right)
    # when
    url = f"{BASE}/reports/{report.pk}/" + (f"{path}/" if path else "")
    response = getattr(api(person), method)(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert response.status_code == (409 if allowed else 403), response.json()
    if allowed:
        assert response.json()["detail"].startswith(message)
    assert _report_state(report) == before


@pytest.mark.parametrize(
    ("action", "state"), [("open", "closed"), ("open", "open"), ("close", "scheduled"), ("close", "closed")]
)
@pytest.mark.parametrize("allowed", [False, True], ids=["without-the-right", "with-the-right"])
def test_meeting_open_close_from_an_illegal_state(
    api, as_actor, jx_meeting, jx_chair, jx_forecaster, action, state, allowed
):
    chair = as_actor(jx_chair)
    if state in ("open", "closed"):
        meeting_services.meeting_open(actor=chair, meeting=jx_meeting)
    if state == "closed":
        meeting_services.meeting_close(actor=chair, meeting=jx_meeting)
    person = jx_chair if allowed else jx_forecaster  # a forecaster manages meetings but does not chair
    response = api(person).post(
        f"{BASE}/meetings/{jx_meeting.pk}/{action}/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == (409 if allowed else 403), response.json()
    if allowed:
        assert response.json()["detail"].startswith("This consultation meeting is")
    assert Meeting.objects.get(pk=jx_meeting.pk).status == state


@pytest.mark.parametrize(
    ("path", "body"),
    [("votes", {"choice": "agree"}), ("comments", {"text": "晚了"})],
)
@pytest.mark.parametrize("allowed", [False, True], ids=["without-the-right", "with-the-right"])
def test_room_actions_on_a_closed_meeting(api, closed_meeting, jx_viewer, jx_expert, path, body, allowed):
    person = jx_expert if allowed else jx_viewer
    response = api(person).post(
        f"{BASE}/meetings/{closed_meeting.pk}/{path}/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == (409 if allowed else 403), response.json()
    if allowed:
        assert response.json()["detail"] == "The meeting is closed."
