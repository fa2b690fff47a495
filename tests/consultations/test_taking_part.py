"""In a meeting, viewers read; votes, comments and material need a working role.

One rule (``permissions.can_take_part``) over the API, the pages and the live room.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from consultations.models import Comment, MeetingMaterial, Vote
from consultations.services import meetings as meeting_services

from .test_room import _connect, _next

BASE = "/api/v1/consultations"

# role held in JX (the meeting's bureau) → may vote, comment and add material
ROLES = [
    ("viewer", None, False),
    ("reporter", None, False),
    ("bureau_admin", None, False),
    ("expert", "fluid", True),
    ("forecaster", None, True),
    ("chair", None, True),  # a chair of the bureau, not this meeting's chair
    ("approver", None, True),
]

ACTIONS = {
    "vote": ("votes", {"choice": "agree"}, Vote),
    "comment": ("comments", {"text": "同意赣北判定"}, Comment),
    "material": ("materials", {"kind": "anomaly", "title": "九江水温", "object_id": "41"}, MeetingMaterial),
}


def _stored(model, meeting) -> int:
    return model.objects.filter(meeting=meeting).count()


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize(("role", "discipline", "allowed"), ROLES, ids=[r[0] for r in ROLES])
@pytest.mark.django_db
def test_api_takes_part_only_with_a_working_role(
    api, make_person, jx, jx_meeting, role, discipline, allowed, action
):
    # given a person holding only ``role`` in the meeting's bureau
    grant = (jx, role, discipline) if discipline else (jx, role)
    person = make_person(f"jx_{role}_2", grant)
    path, body, model = ACTIONS[action]
    # when
    response = api(person).post(f"{BASE}/meetings/{jx_meeting.pk}/{path}/", body, format="json")
    # then
    assert response.status_code == (201 if allowed else 403), response.content
    assert _stored(model, jx_meeting) == (1 if allowed else 0)
    # and reading is open to every role of the bureau
    assert api(person).get(f"{BASE}/meetings/{jx_meeting.pk}/").status_code == 200


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize(("role", "allowed"), [("viewer", False), ("forecaster", True)])
@pytest.mark.django_db
def test_joint_meeting_partner_takes_part_only_with_a_working_role(
    api, make_person, make_meeting, jx_chair, nm, role, allowed, action
):
    meeting = make_meeting(jx_chair, kind="special_topic", joint=[nm])
    person = make_person(f"nm_{role}_2", (nm, role))
    path, body, model = ACTIONS[action]
    response = api(person, "NM").post(f"{BASE}/meetings/{meeting.pk}/{path}/", body, format="json")
    assert response.status_code == (201 if allowed else 403), response.content
    assert _stored(model, meeting) == (1 if allowed else 0)


@pytest.mark.django_db
def test_a_listed_participant_who_is_only_a_viewer_reads(api, make_meeting, jx_chair, jx_viewer):
    meeting = make_meeting(jx_chair, participants=[jx_viewer])
    response = api(jx_viewer).post(f"{BASE}/meetings/{meeting.pk}/votes/", {"choice": "agree"}, format="json")
    assert response.status_code == 403
    assert _stored(Vote, meeting) == 0


@pytest.mark.django_db
def test_a_revoked_working_role_no_longer_takes_part(api, make_person, jx, jx_meeting):
    person = make_person("jx_former", (jx, "forecaster"), (jx, "viewer"))
    person.memberships.filter(role="forecaster").update(revoked_at="2026-11-01T00:00:00Z")
    response = api(person).post(f"{BASE}/meetings/{jx_meeting.pk}/comments/", {"text": "x"}, format="json")
    assert response.status_code == 403
    assert _stored(Comment, jx_meeting) == 0


@pytest.mark.django_db
def test_a_working_role_in_another_bureau_gives_nothing_here(api, make_person, jx, nm, jx_meeting):
    # forecaster in NM, viewer in JX: the JX meeting is read only
    person = make_person("zone_person", (nm, "forecaster"), (jx, "viewer"))
    response = api(person, "JX").post(
        f"{BASE}/meetings/{jx_meeting.pk}/votes/", {"choice": "agree"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_viewer_page_shows_no_forms_and_material_post_is_403(jx_meeting, jx_viewer, jx_expert):
    viewer = Client()
    viewer.force_login(jx_viewer)
    page = viewer.get(f"/consultations/meetings/{jx_meeting.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="vote-form"' not in html
    assert 'id="comment-form"' not in html
    refused = viewer.post(
        f"/consultations/meetings/{jx_meeting.pk}/materials/",
        {"kind": "anomaly", "title": "九江水温", "object_id": "41"},
    )
    assert refused.status_code == 403
    assert _stored(MeetingMaterial, jx_meeting) == 0
    expert = Client()
    expert.force_login(jx_expert)
    assert 'id="vote-form"' in expert.get(f"/consultations/meetings/{jx_meeting.pk}/").content.decode()


# --- the live room ---------------------------------------------------------------------

ROOM_FRAMES = {
    "vote": ({"type": "vote", "choice": "agree", "remark": "赞成"}, Vote),
    "comment": ({"type": "comment", "text": "请补充形变资料"}, Comment),
}


async def _reply(communicator) -> dict:
    """The answer to an action: an ack or an error, skipping presence and room events."""
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["kind"] in ("ack", "error"):
            return message


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", list(ROOM_FRAMES))
@pytest.mark.parametrize(
    ("role", "discipline", "allowed"),
    [
        ("viewer", None, False),
        ("reporter", None, False),
        ("expert", "fluid", True),
        ("forecaster", None, True),
    ],
    ids=["viewer", "reporter", "expert", "forecaster"],
)
async def test_room_action_needs_a_working_role(
    jx_meeting, make_person, jx, role, discipline, allowed, action
):
    # given a person of the meeting's bureau in the live room
    grant = (jx, role, discipline) if discipline else (jx, role)
    person = await sync_to_async(make_person)(f"ws_{role}", grant)
    communicator, connected, _ = await _connect(person, jx_meeting.pk)
    assert connected  # joining is reading: every role of the bureau may
    await _next(communicator, "welcome")
    frame, model = ROOM_FRAMES[action]
    # when
    await communicator.send_json_to(frame)
    reply = await _reply(communicator)
    # then
    stored = await sync_to_async(_stored)(model, jx_meeting)
    if allowed:
        assert reply == {"kind": "ack", "type": action}
        assert stored == 1
        event = await _next(communicator, "room")
        assert event["type"] == action
    else:
        assert (reply["kind"], reply["type"], reply["status"]) == ("error", action, 403)
        assert "working role" in reply["detail"] or "工作角色" in reply["detail"]
        assert stored == 0
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_room_action_on_a_closed_meeting_is_refused_with_409(jx_meeting, jx_chair, jx_expert, as_actor):
    chair = await sync_to_async(as_actor)(jx_chair)
    await sync_to_async(meeting_services.meeting_open)(actor=chair, meeting=jx_meeting)
    await sync_to_async(meeting_services.meeting_close)(actor=chair, meeting=jx_meeting)
    communicator, connected, _ = await _connect(jx_expert, jx_meeting.pk)
    assert connected
    await communicator.send_json_to({"type": "comment", "text": "晚了"})
    reply = await _reply(communicator)
    assert (reply["kind"], reply["status"]) == ("error", 409)
    assert await sync_to_async(_stored)(Comment, jx_meeting) == 0
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("role", "discipline", "expected"),
    [("viewer", None, 403), ("reporter", None, 403), ("forecaster", None, 403), ("expert", "fluid", 201)],
)
@pytest.mark.django_db
def test_only_an_expert_of_the_discipline_submits_its_opinion(
    api, make_person, jx, jx_meeting, role, discipline, expected
):
    from consultations.models import DisciplineOpinion

    grant = (jx, role, discipline) if discipline else (jx, role)
    person = make_person(f"op_{role}", grant)
    response = api(person).post(
        f"{BASE}/meetings/{jx_meeting.pk}/opinions/",
        {"discipline": "fluid", "summary": "水氡恢复"},
        format="json",
    )
    assert response.status_code == expected, response.content
    assert DisciplineOpinion.objects.filter(meeting=jx_meeting).count() == (1 if expected == 201 else 0)
