"""The anomaly lifecycle through the API for every role, the role x transition matrix,
refusals that change nothing, concurrency, visibility across bureaus."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from disciplines.models import Anomaly, AssessmentRating, VerificationReport
from disciplines.services.anomaly_workflow import TRANSITIONS
from portal.models import AuditEvent, Notification

from .conftest import complete_checks

pytestmark = pytest.mark.django_db


def test_whole_lifecycle_through_the_api(api, reported, jx_reporter, jx_expert, jx_expert2, jx_seis_expert):
    anomaly = reported()
    office, verifier = api(jx_expert2), api(jx_expert)
    url = f"/api/v1/anomalies/{anomaly.pk}"

    # the discipline office returns the report, the reporter revises it
    assert (
        office.post(f"{url}/return-report/", {"comment": "补充照片"}, format="json").json()["state"]
        == "returned"
    )
    resubmitted = api(jx_reporter).post(
        f"{url}/resubmit/", {"description": "水位突升 0.8 m，附照片"}, format="json"
    )
    assert resubmitted.json()["state"] == "reported"

    # assigned with the bureau's default deadline (72 h)
    assigned = office.post(f"{url}/assign/", {"assignee": jx_expert.pk}, format="json").json()
    assert (assigned["state"], assigned["assignee"]) == ("verifying", "jx_expert")
    anomaly.refresh_from_db()
    assert abs((anomaly.verify_due_at - anomaly.assigned_at) - timedelta(hours=72)) < timedelta(seconds=1)
    assert Notification.objects.filter(recipient=jx_expert, kind="anomaly", title__contains="verify").exists()

    # an incomplete report cannot be submitted: 400 naming what is missing
    verifier.put(
        f"{url}/verification/", {"observation": "南昌井 水位", "conclusion": "precursory"}, format="json"
    )
    incomplete = verifier.post(f"{url}/submit-verification/", {}, format="json")
    assert incomplete.status_code == 400
    assert "instrument" in incomplete.json()["errors"]
    body = {
        "instrument": "SWY-II",
        "onset_at": anomaly.onset_at.isoformat(),
        "shape": "阶跃",
        "amplitude": "0.8 m",
        "checks": complete_checks(),
        "analysis": "排除降雨、抽水",
    }
    assert verifier.put(f"{url}/verification/", body, format="json").status_code == 200
    assert verifier.post(f"{url}/submit-verification/", {}, format="json").json()["state"] == "verified"

    # the group sends the verification back once, then it comes back
    returned = office.post(f"{url}/return-verification/", {"comment": "补充气压数据"}, format="json")
    assert returned.json()["state"] == "verifying"
    assert verifier.post(f"{url}/submit-verification/", {}, format="json").json()["state"] == "verified"

    # each expert of the discipline rates; another discipline's expert may not
    assert (
        office.post(
            f"{url}/ratings/",
            {"credibility": "A", "relation": "close", "recommendation": "track"},
            format="json",
        ).status_code
        == 201
    )
    assert (
        verifier.post(
            f"{url}/ratings/",
            {"credibility": "B", "relation": "possible", "recommendation": "track"},
            format="json",
        ).status_code
        == 201
    )
    assert (
        api(jx_seis_expert)
        .post(
            f"{url}/ratings/",
            {"credibility": "C", "relation": "unrelated", "recommendation": "close"},
            format="json",
        )
        .status_code
        == 403
    )
    assert office.post(f"{url}/assess/", {}, format="json").json()["state"] == "assessed"
    tracked = office.post(f"{url}/track/", {"comment": "继续跟踪"}, format="json").json()
    assert (tracked["state"], tracked["decision"]) == ("tracking", "track")
    assert office.post(f"{url}/close/", {"comment": "异常结束"}, format="json").json()["state"] == "closed"

    detail = office.get(f"{url}/").json()
    transitions = [(h["from_state"], h["to_state"]) for h in detail["history"] if h["to_state"]]
    assert transitions == [
        ("", "reported"),
        ("reported", "returned"),
        ("returned", "reported"),
        ("reported", "verifying"),
        ("verifying", "verified"),
        ("verified", "verifying"),
        ("verifying", "verified"),
        ("verified", "assessed"),
        ("assessed", "tracking"),
        ("tracking", "closed"),
    ]
    assert [h["comment"] for h in detail["history"] if h["action"] == "anomaly.return_verification"] == [
        "补充气压数据"
    ]
    assert [h["actor"] for h in detail["history"] if h["action"] == "anomaly.assign"] == ["jx_expert2"]
    assert detail["verification"]["conclusion"] == "precursory"
    assert len(detail["ratings"]) == 2


# action -> (state it starts from, person allowed, people refused with 403)
MATRIX = {
    "assign": (
        "reported",
        ["jx_expert2", "jx_admin"],
        ["jx_reporter", "jx_seis_expert", "jx_forecaster", "jx_viewer"],
    ),
    "reassign": (
        "verifying",
        ["jx_expert2", "jx_admin"],
        ["jx_reporter", "jx_seis_expert", "jx_forecaster", "jx_viewer"],
    ),
    "return_report": ("reported", ["jx_expert2", "jx_admin"], ["jx_reporter", "jx_seis_expert", "jx_viewer"]),
    "resubmit": ("returned", ["jx_reporter"], ["jx_expert2", "jx_admin", "jx_viewer"]),
    "withdraw": ("reported", ["jx_reporter"], ["jx_expert2", "jx_viewer"]),
    "submit_verification": ("verifying", ["jx_expert"], ["jx_expert2", "jx_admin", "jx_reporter"]),
    "return_verification": (
        "verified",
        ["jx_expert2"],
        ["jx_expert", "jx_admin", "jx_reporter", "jx_seis_expert"],
    ),
    "assess": (
        "verified",
        ["jx_expert2", "jx_expert"],
        ["jx_admin", "jx_reporter", "jx_seis_expert", "jx_chair"],
    ),
    "return_assessment": ("assessed", ["jx_expert2"], ["jx_admin", "jx_reporter", "jx_viewer"]),
    "track": ("assessed", ["jx_expert2"], ["jx_admin", "jx_reporter", "jx_seis_expert"]),
    "close": ("tracking", ["jx_expert2"], ["jx_reporter", "jx_forecaster", "jx_viewer"]),
}
ALL_STATES = ["reported", "returned", "verifying", "verified", "assessed", "tracking", "closed"]


def _cast(request, name):
    fixture = {"jx_expert2": "jx_expert2", "jx_seis_expert": "jx_seis_expert"}.get(name, name)
    return request.getfixturevalue(fixture)


def _body(action, jx_expert, request=None):
    if action == "assign":
        return {"assignee": jx_expert.pk, "comment": "请核实"}
    if action == "reassign":  # from jx_expert (the verifier the fixtures assign) to jx_expert2
        return {"assignee": request.getfixturevalue("jx_expert2").pk, "comment": "改派"}
    return {"comment": "请修改"}


def _snapshot(anomaly):
    anomaly.refresh_from_db()
    return (
        anomaly.state,
        anomaly.assignee_id,
        anomaly.decision,
        AuditEvent.objects.filter(target_id=str(anomaly.pk)).count(),
    )


@pytest.mark.parametrize(
    ("action", "who", "expected"),
    [(a, p, 200) for a, (_s, ok, _no) in MATRIX.items() for p in ok]
    + [(a, p, 403) for a, (_s, _ok, no) in MATRIX.items() for p in no],
)
def test_role_by_transition_matrix(request, api, in_state, jx_expert, action, who, expected):
    start, _ok, _no = MATRIX[action]
    anomaly = in_state(start)
    before = _snapshot(anomaly)
    person = _cast(request, who)
    response = api(person).post(
        f"/api/v1/anomalies/{anomaly.pk}/{action.replace('_', '-')}/",
        _body(action, jx_expert, request),
        format="json",
    )
    assert response.status_code == expected, response.json()
    if expected == 200:
        assert response.json()["state"] == TRANSITIONS[action][1]
        event = AuditEvent.objects.filter(target_id=str(anomaly.pk), action=f"anomaly.{action}").latest("id")
        assert (event.actor, event.from_state, event.to_state) == (person, start, TRANSITIONS[action][1])
    else:
        assert response.json()["detail"]
        assert _snapshot(anomaly) == before


# Before assignment nobody is the verifier: submitting a verification from there is
# a question of right (403), not of state.
UNASSIGNED = {("submit_verification", "reported"), ("submit_verification", "returned")}


@pytest.mark.parametrize(
    ("action", "state"),
    [(a, s) for a in MATRIX for s in ALL_STATES if s not in TRANSITIONS[a][0] and (a, s) not in UNASSIGNED],
)
def test_illegal_transition_is_409_and_changes_nothing(request, api, in_state, jx_expert, action, state):
    anomaly = in_state(state)
    before = _snapshot(anomaly)
    person = _cast(request, MATRIX[action][1][0])
    response = api(person).post(
        f"/api/v1/anomalies/{anomaly.pk}/{action.replace('_', '-')}/",
        _body(action, jx_expert, request),
        format="json",
    )
    assert response.status_code == 409, response.json()
    assert "cannot be" in response.json()["detail"] or "不能" in response.json()["detail"]
    assert _snapshot(anomaly) == before


@pytest.mark.parametrize(
    ("action", "state", "who"),
    [(a, s, "jx_viewer") for a in MATRIX for s in ALL_STATES if s not in TRANSITIONS[a][0]]
    + [(a, s, "jx_expert") for a, s in sorted(UNASSIGNED)],
)
def test_without_the_right_an_illegal_transition_is_403_not_409(
    request, api, in_state, jx_expert, action, state, who
):
    """Permission is checked before state: no 409 tells a bystander what state the anomaly is in."""
    anomaly = in_state(state)
    before = _snapshot(anomaly)
    response = api(_cast(request, who)).post(
        f"/api/v1/anomalies/{anomaly.pk}/{action.replace('_', '-')}/",
        _body(action, jx_expert, request),
        format="json",
    )
    assert response.status_code == 403, response.json()
    assert response.json()["detail"].startswith("You may not do this")
    assert _snapshot(anomaly) == before


VERIFICATION = {"observation": "南昌井 水位", "conclusion": "precursory"}
RATING = {"credibility": "A", "relation": "close", "recommendation": "track"}


@pytest.mark.parametrize(
    ("path", "body", "state", "who", "expected", "message"),
    [
        # the verification report: only the assigned verifier, only while verifying
        ("verification", VERIFICATION, "verified", "jx_viewer", 403, "Only the assigned verifier"),
        ("verification", VERIFICATION, "verified", "jx_expert2", 403, "Only the assigned verifier"),
        (
            "verification",
            VERIFICATION,
            "verified",
            "jx_expert",
            409,
            "The verification report can only be edited while",
        ),
        (
            "verification",
            VERIFICATION,
            "closed",
            "jx_expert",
            409,
            "The verification report can only be edited while",
        ),
        # ratings: experts of the discipline, only while verified
        ("ratings", RATING, "reported", "jx_viewer", 403, "Only experts of the discipline"),
        ("ratings", RATING, "assessed", "jx_seis_expert", 403, "Only experts of the discipline"),
        ("ratings", RATING, "reported", "jx_expert2", 409, "Ratings are given while"),
        ("ratings", RATING, "closed", "jx_expert2", 409, "Ratings are given while"),
    ],
)
def test_forms_of_the_workflow_check_the_right_before_the_state(
    request, api, in_state, path, body, state, who, expected, message
):
    anomaly = in_state(state)
    before = _snapshot(anomaly)
    client = api(_cast(request, who))
    url = f"/api/v1/anomalies/{anomaly.pk}/{path}/"
    response = (
        client.put(url, body, format="json")
        if path == "verification"
        else client.post(url, body, format="json")
    )
    assert response.status_code == expected, response.json()
    assert response.json()["detail"].startswith(message)
    assert _snapshot(anomaly) == before


@pytest.mark.parametrize(
    ("state", "who", "expected"),
    [
        ("closed", "jx_viewer", 403),
        ("closed", "jx_expert2", 403),
        ("closed", "jx_reporter", 409),  # the reporter, but the report is past review
        ("assessed", "jx_expert", 409),  # the verifier, but verification is over
    ],
)
def test_adding_files_checks_the_right_before_the_state(request, api, in_state, state, who, expected):
    from django.core.files.uploadedfile import SimpleUploadedFile

    anomaly = in_state(state)
    before = (_snapshot(anomaly), anomaly.attachments.count())
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    response = api(_cast(request, who)).post(
        f"/api/v1/anomalies/{anomaly.pk}/attachments/", {"attachments": [photo]}, format="multipart"
    )
    assert response.status_code == expected, response.json()
    assert (_snapshot(anomaly), anomaly.attachments.count()) == before


def test_other_bureau_cannot_act_or_read(api, in_state, nm_admin, nm_expert, jx_expert):
    anomaly = in_state("reported")
    before = _snapshot(anomaly)
    url = f"/api/v1/anomalies/{anomaly.pk}"
    for client in (api(nm_admin), api(nm_expert)):
        assert client.get(f"{url}/").status_code == 404
        assert client.post(f"{url}/assign/", {"assignee": jx_expert.pk}, format="json").status_code == 404
        assert client.post(f"{url}/withdraw/", {}, format="json").status_code == 404
        assert (
            client.post(
                f"{url}/ratings/",
                {"credibility": "A", "relation": "close", "recommendation": "track"},
                format="json",
            ).status_code
            == 404
        )
        assert client.get(f"{url}/verification/").status_code == 404
        assert client.get("/api/v1/anomalies/").json()["results"] == []
    assert _snapshot(anomaly) == before


def test_returning_needs_a_comment(api, in_state, jx_expert2):
    anomaly = in_state("reported")
    response = api(jx_expert2).post(
        f"/api/v1/anomalies/{anomaly.pk}/return-report/", {"comment": " "}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comment"]
    anomaly.refresh_from_db()
    assert anomaly.state == "reported"


def test_assignee_must_be_an_expert_of_the_discipline(api, in_state, jx_expert2, jx_seis_expert):
    anomaly = in_state("reported")
    response = api(jx_expert2).post(
        f"/api/v1/anomalies/{anomaly.pk}/assign/", {"assignee": jx_seis_expert.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["assignee"]


def test_per_bureau_deadline_setting_is_used(api, in_state, jx_admin, jx_expert, jx_expert2, jx_reporter):
    assert (
        api(jx_reporter)
        .put(
            "/api/v1/disciplines/settings/", {"verification_hours": 24, "assessment_hours": 48}, format="json"
        )
        .status_code
        == 403
    )
    response = api(jx_admin).put(
        "/api/v1/disciplines/settings/", {"verification_hours": 24, "assessment_hours": 48}, format="json"
    )
    assert response.json() == {"verification_hours": 24, "assessment_hours": 48}
    anomaly = in_state("reported")
    api(jx_expert2).post(f"/api/v1/anomalies/{anomaly.pk}/assign/", {"assignee": jx_expert.pk}, format="json")
    anomaly.refresh_from_db()
    assert abs((anomaly.verify_due_at - anomaly.assigned_at) - timedelta(hours=24)) < timedelta(seconds=1)


def test_expert_reports_an_anomaly_and_reporter_cannot(api, jx_expert, jx_reporter, jx):
    body = {
        "source": "product",
        "discipline": "fluid",
        "station": "修水台",
        "observation_item": "水氡",
        "onset_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "description": "自动产品检出水氡高值",
        "lon": 114.55,
        "lat": 29.03,
        "product_reference": "fluid-trend#12",
    }
    created = api(jx_expert).post("/api/v1/anomalies/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["source"], created.json()["location"]["coordinates"]) == (
        "product",
        [114.55, 29.03],
    )
    assert api(jx_reporter).post("/api/v1/anomalies/", body, format="json").status_code == 403
    future = api(jx_expert).post(
        "/api/v1/anomalies/", {**body, "onset_at": "2099-01-01T00:00:00Z"}, format="json"
    )
    assert future.status_code == 400
    assert "onset_at" in future.json()["errors"]


@pytest.mark.parametrize(
    ("state", "visible"),
    [
        ("reported", False),
        ("verifying", False),
        ("verified", False),
        ("assessed", True),
        ("tracking", True),
        ("closed", True),
    ],
)
def test_national_units_read_anomalies_once_assessed(
    api, in_state, cenc_forecaster, nm_admin, state, visible
):
    anomaly = in_state(state)
    ids = [a["id"] for a in api(cenc_forecaster).get("/api/v1/anomalies/").json()["results"]]
    assert ids == ([anomaly.pk] if visible else [])
    assert api(cenc_forecaster).get(f"/api/v1/anomalies/{anomaly.pk}/").status_code == (
        200 if visible else 404
    )
    # a province never reads another province's, published or not
    assert api(nm_admin).get(f"/api/v1/anomalies/{anomaly.pk}/").status_code == 404


def test_national_reader_cannot_act(api, in_state, cenc_forecaster):
    anomaly = in_state("assessed")
    response = api(cenc_forecaster).post(f"/api/v1/anomalies/{anomaly.pk}/close/", {}, format="json")
    assert response.status_code == 404
    anomaly.refresh_from_db()
    assert anomaly.state == "assessed"


def test_rating_twice_replaces_the_experts_line(as_actor, in_state, jx_expert2):
    from disciplines.services.assessment import rating_save

    anomaly = in_state("verified")
    rating_save(
        actor=as_actor(jx_expert2), anomaly=anomaly, credibility="A", relation="close", recommendation="track"
    )
    rating_save(
        actor=as_actor(jx_expert2),
        anomaly=anomaly,
        credibility="C",
        relation="unrelated",
        recommendation="close",
    )
    assert list(AssessmentRating.objects.filter(anomaly=anomaly).values_list("credibility", flat=True)) == [
        "C"
    ]


def test_bad_verification_input_is_400(api, in_state, jx_expert):
    anomaly = in_state("verifying-blank")
    url = f"/api/v1/anomalies/{anomaly.pk}/verification/"
    bad_factor = api(jx_expert).put(url, {"checks": {"ghosts": {"result": "ruled_out"}}}, format="json")
    assert bad_factor.status_code == 400
    assert "ghosts" in bad_factor.json()["detail"]
    bad_result = api(jx_expert).put(url, {"checks": {"rainfall": {"result": "maybe"}}}, format="json")
    assert bad_result.status_code == 400
    bad_conclusion = api(jx_expert).put(url, {"conclusion": "alien"}, format="json")
    assert list(bad_conclusion.json()["errors"]) == ["conclusion"]
    assert VerificationReport.objects.filter(anomaly=anomaly).count() == 0


def test_overdue_reminder_is_sent_once(as_actor, in_state, jx_expert, jx_expert2):
    from disciplines.services.overdue import anomalies_remind_overdue

    anomaly = in_state("verifying")
    later = anomaly.verify_due_at + timedelta(minutes=1)
    assert anomalies_remind_overdue(now=anomaly.verify_due_at - timedelta(minutes=1)) == 0
    assert anomalies_remind_overdue(now=later) == 1
    assert anomalies_remind_overdue(now=later + timedelta(hours=1)) == 0
    assert Notification.objects.filter(recipient=jx_expert, kind="anomaly.overdue").count() == 1
    assert Notification.objects.filter(recipient=jx_expert2, title__contains="Overdue").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_assigning_at_once_only_one_succeeds(in_state, as_actor, jx_expert, jx_expert2, jx_admin):
    """select_for_update + the state guard: the second waits, then sees 'verifying' and is refused."""
    from disciplines.services.anomalies import anomaly_assign
    from portal.exceptions import InvalidTransition

    anomaly = in_state("reported")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(person):
        try:
            barrier.wait()
            anomaly_assign(actor=as_actor(person), anomaly=anomaly.pk, assignee=jx_expert)
            outcomes.append("ok")
        except InvalidTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(p,)) for p in (jx_expert2, jx_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert AuditEvent.objects.filter(target_id=str(anomaly.pk), action="anomaly.assign").count() == 1
    assert Anomaly.objects.get(pk=anomaly.pk).state == "verifying"


def test_overdue_verification_is_handed_to_another_verifier(api, in_state, jx_expert, jx_expert2, jx_admin):
    anomaly = in_state("verifying")
    url = f"/api/v1/anomalies/{anomaly.pk}/reassign/"
    same = api(jx_admin).post(url, {"assignee": jx_expert.pk}, format="json")
    assert same.status_code == 400
    assert list(same.json()["errors"]) == ["assignee"]
    moved = api(jx_admin).post(url, {"assignee": jx_expert2.pk, "comment": "原核实人出差"}, format="json")
    assert (moved.status_code, moved.json()["state"], moved.json()["assignee"]) == (
        200,
        "verifying",
        "jx_expert2",
    )
    event = AuditEvent.objects.filter(target_id=str(anomaly.pk), action="anomaly.reassign").get()
    assert event.extra["previous"] == "jx_expert"
    assert Notification.objects.filter(
        recipient=jx_expert2, kind="anomaly", title__contains="verify"
    ).exists()
    # the previous verifier can no longer submit
    assert (
        api(jx_expert)
        .post(f"/api/v1/anomalies/{anomaly.pk}/submit-verification/", {}, format="json")
        .status_code
        == 403
    )
