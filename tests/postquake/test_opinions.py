"""Post-quake opinions: the chair issues the first (or submits it where the bureau requires
sign-off and an approver signs it off or returns it); who may, which state, frozen once
issued; the case moves with its first issued opinion; the text is prefilled in the reader's
language; the API and the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification
from portal.waiting import waiting_for
from postquake.models import CaseState, OpinionKind, OpinionState, PostQuakeOpinion, PostQuakeSettings
from postquake.services import opinion_edit, opinion_transition

pytestmark = pytest.mark.django_db

BASE = "/api/v1/post-quake-cases/"


def _url(case, number=1, tail=""):
    return f"{BASE}{case.pk}/opinions/{number}/{tail}"


def _first(case):
    return PostQuakeOpinion.objects.get(case=case, number=1)


def test_the_first_draft_proposes_opinion_1_and_tells_the_chair(jx_chair, drafted_case):
    opinion = _first(drafted_case)
    assert (opinion.kind, opinion.trigger, opinion.state) == (OpinionKind.FIRST, "first", OpinionState.DRAFT)
    assert opinion.snapshot == drafted_case.draft
    assert opinion.text == ""  # prefilled when read, in the reader's language
    assert Notification.objects.filter(recipient=jx_chair, url=drafted_case.get_absolute_url()).count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("jx_forecaster", 403),
        ("jx_approver", 403),
        ("jx_viewer", 403),
        ("jx_admin", 403),
        ("nm_forecaster", 404),
        ("jx_chair", 200),
    ],
)
def test_only_the_chair_of_the_bureau_issues(drafted_case, api, request, who, status):
    user = request.getfixturevalue(who)
    response = api(user).post(_url(drafted_case, tail="transitions/"), {"action": "issue"}, format="json")
    assert response.status_code == status, response.content
    opinion = _first(drafted_case)
    drafted_case.refresh_from_db()
    if status == 200:
        assert response.json()["state"] == "issued"
        assert opinion.state == OpinionState.ISSUED
        assert drafted_case.state == CaseState.OPINION_ISSUED
        assert drafted_case.issued_at == opinion.issued_at
    else:
        assert opinion.state == OpinionState.DRAFT
        assert drafted_case.state == CaseState.OPEN
        assert drafted_case.issued_at is None
        assert not AuditEvent.objects.filter(action="postquake_opinion.issue").exists()


def test_an_issued_opinion_is_frozen_and_a_second_issue_is_refused_with_the_state_named(
    drafted_case, jx_chair, api
):
    client = api(jx_chair)
    assert (
        client.post(_url(drafted_case, tail="transitions/"), {"action": "issue"}, format="json").status_code
        == 200
    )
    issued = _first(drafted_case)
    # the prefill became the issued text, in the issuer's language (zh-hans by default)
    assert "按Båth定律，预计最大余震约为M4.8。" in issued.text
    assert "综合判断：序列类型尚难判定" in issued.text
    assert issued.sequence_type == ""  # the M6.0 has no aftershock yet: the type cannot be told
    assert issued.expected_max_magnitude == 4.8
    again = client.post(_url(drafted_case, tail="transitions/"), {"action": "issue"}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"]
    edit = client.put(_url(drafted_case), {"text": "新的文字"}, format="json")
    assert edit.status_code == 409
    assert _first(drafted_case).text == issued.text


def test_an_unknown_action_is_a_400_naming_the_field(drafted_case, jx_chair, api, as_actor):
    response = api(jx_chair).post(
        _url(drafted_case, tail="transitions/"), {"action": "publish"}, format="json"
    )
    assert response.status_code == 400
    assert "action" in response.json()["errors"]
    with pytest.raises(InvalidInput) as refused:
        opinion_transition(actor=as_actor(jx_chair), opinion=_first(drafted_case), action="publish")
    assert refused.value.field == "action"


def test_the_sign_off_path_submit_return_submit_sign_off(
    drafted_case, jx, jx_chair, jx_approver, make_person, api
):
    PostQuakeSettings.objects.create(bureau=jx, signoff_required=True)
    second_approver = make_person("jx_approver2", (jx, "approver"))
    chair, approver = api(jx_chair), api(jx_approver)
    transitions = _url(drafted_case, tail="transitions/")

    # the chair may not issue directly: 409 saying so
    refused = chair.post(transitions, {"action": "issue"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "本单位的意见须经签发：请提交签发。"
    # the chair edits and submits; the approvers are told
    assert (
        chair.put(
            _url(drafted_case), {"text": "初判意见。", "expected_max_magnitude": 5.0}, format="json"
        ).status_code
        == 200
    )
    submitted = chair.post(transitions, {"action": "submit"}, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    assert (
        Notification.objects.filter(recipient__in=[jx_approver, second_approver], level="urgent").count() == 2
    )
    # while it awaits sign-off the chair cannot edit it
    assert chair.put(_url(drafted_case), {"text": "改"}, format="json").status_code == 409
    # the approver returns it: a comment is required
    no_comment = approver.post(transitions, {"action": "return"}, format="json")
    assert no_comment.status_code == 400
    assert "comment" in no_comment.json()["errors"]
    returned = approver.post(transitions, {"action": "return", "comment": "补充余震概率"}, format="json")
    assert returned.status_code == 200
    assert returned.json()["state"] == "draft"
    assert returned.json()["return_comment"] == "补充余震概率"
    assert Notification.objects.filter(recipient=jx_chair, body="补充余震概率").count() == 1
    # submitted again and signed off: issued, with the signer, and the case moves on
    assert chair.post(transitions, {"action": "submit"}, format="json").status_code == 200
    signed = approver.post(transitions, {"action": "sign_off"}, format="json")
    assert signed.status_code == 200
    body = signed.json()
    assert (body["state"], body["signer"], body["issued_by"], body["text"]) == (
        "issued",
        "jx_approver",
        "jx_approver",
        "初判意见。",
    )
    assert body["expected_max_magnitude"] == 5.0
    drafted_case.refresh_from_db()
    assert drafted_case.state == CaseState.OPINION_ISSUED
    assert drafted_case.issued_at is not None


def test_the_approver_who_submitted_does_not_sign_off(drafted_case, jx, make_person, as_actor):
    PostQuakeSettings.objects.create(bureau=jx, signoff_required=True)
    both = make_person("jx_both", (jx, "chair"), (jx, "approver"))
    opinion = opinion_transition(actor=as_actor(both), opinion=_first(drafted_case), action="submit")
    with pytest.raises(PermissionDenied, match="四眼原则"):
        opinion_transition(actor=as_actor(both), opinion=opinion, action="sign_off")
    assert _first(drafted_case).state == OpinionState.SUBMITTED


def test_a_chair_cannot_sign_off_and_an_approver_cannot_submit(
    drafted_case, jx, jx_chair, jx_approver, as_actor
):
    PostQuakeSettings.objects.create(bureau=jx, signoff_required=True)
    with pytest.raises(PermissionDenied):
        opinion_transition(actor=as_actor(jx_approver), opinion=_first(drafted_case), action="submit")
    opinion = opinion_transition(actor=as_actor(jx_chair), opinion=_first(drafted_case), action="submit")
    with pytest.raises(PermissionDenied):
        opinion_transition(actor=as_actor(jx_chair), opinion=opinion, action="sign_off")
    # a draft is not signed off: 409 (the approver may act, the state is wrong)
    opinion_transition(actor=as_actor(jx_approver), opinion=opinion, action="return", comment="再看")
    with pytest.raises(InvalidTransition):
        opinion_transition(actor=as_actor(jx_approver), opinion=_first(drafted_case), action="sign_off")


def test_the_edit_checks_its_fields_and_only_the_chair_edits(drafted_case, jx_chair, jx_forecaster, api):
    assert api(jx_forecaster).put(_url(drafted_case), {"text": "x"}, format="json").status_code == 403
    client = api(jx_chair)
    bad_type = client.put(_url(drafted_case), {"sequence_type": "tsunami"}, format="json")
    assert bad_type.status_code == 400
    assert "sequence_type" in bad_type.json()["errors"]
    bad_magnitude = client.put(_url(drafted_case), {"expected_max_magnitude": 12}, format="json")
    assert bad_magnitude.status_code == 400
    assert "expected_max_magnitude" in bad_magnitude.json()["errors"]
    ok = client.put(_url(drafted_case), {"sequence_type": "swarm"}, format="json")
    assert ok.status_code == 200
    # the text is still the prefill and follows the chair's judgement
    assert ok.json()["text_written"] is False
    assert "震群型" in ok.json()["text"]
    written = client.put(_url(drafted_case), {"text": "  我的意见  "}, format="json").json()
    assert (written["text"], written["text_written"], written["author"]) == ("我的意见", True, "jx_chair")
    refilled = client.put(_url(drafted_case), {"refill": True}, format="json").json()
    assert refilled["text_written"] is False


def test_the_prefill_is_in_the_readers_language(drafted_case, jx_chair, api):
    english = api(jx_chair).get(_url(drafted_case), HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api(jx_chair).get(_url(drafted_case), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "Expected largest aftershock by Båth's law: about M4.8." in english["text"]
    assert "Reasenberg-Jones" in english["text"]
    assert "按Båth定律，预计最大余震约为M4.8。" in chinese["text"]
    assert english["text"] != chinese["text"]


def test_the_case_lists_its_opinions_and_another_bureau_gets_404(drafted_case, jx_chair, nm_forecaster, api):
    body = api(jx_chair).get(f"{BASE}{drafted_case.pk}/").json()
    assert [(o["number"], o["kind"], o["trigger"], o["state"]) for o in body["opinions"]] == [
        (1, "first", "first", "draft")
    ]
    assert body["opinions"][0]["actions"] == ["issue"]
    assert set(body["opinions"][0]) >= {"id", "text", "changes", "issued_at", "issued_by"}
    assert api(nm_forecaster).get(_url(drafted_case)).status_code == 404
    assert (
        api(nm_forecaster)
        .post(_url(drafted_case, tail="transitions/"), {"action": "issue"}, format="json")
        .status_code
        == 404
    )
    assert api(jx_chair).get(_url(drafted_case, number=2)).status_code == 404
    assert api(jx_chair).get(_url(drafted_case, number=99999)).status_code == 404


def test_closing_the_case_ends_its_opinions(drafted_case, jx_chair, jx_forecaster, api, as_actor):
    assert (
        api(jx_forecaster)
        .post(f"{BASE}{drafted_case.pk}/transitions/", {"action": "close"}, format="json")
        .status_code
        == 403
    )
    closed = api(jx_chair).post(f"{BASE}{drafted_case.pk}/transitions/", {"action": "close"}, format="json")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    with pytest.raises(InvalidTransition, match="本案已关闭"):
        opinion_transition(actor=as_actor(jx_chair), opinion=_first(drafted_case), action="issue")
    with pytest.raises(InvalidTransition):
        opinion_edit(actor=as_actor(jx_chair), opinion=_first(drafted_case), data={"text": "x"})
    again = api(jx_chair).post(f"{BASE}{drafted_case.pk}/transitions/", {"action": "close"}, format="json")
    assert again.status_code == 409


def test_what_waits_the_chair_then_the_approver(drafted_case, jx, jx_chair, jx_approver, as_actor):
    PostQuakeSettings.objects.create(bureau=jx, signoff_required=True)
    mine = waiting_for(as_actor(jx_chair))
    assert [(i.kind, i.url) for i in mine] == [("postquake_opinion", _first(drafted_case).get_absolute_url())]
    assert waiting_for(as_actor(jx_approver)) == []
    opinion_transition(actor=as_actor(jx_chair), opinion=_first(drafted_case), action="submit")
    assert waiting_for(as_actor(jx_chair)) == []
    assert [i.kind for i in waiting_for(as_actor(jx_approver))] == ["postquake_opinion"]


def test_the_case_page_shows_the_chair_the_form_and_the_buttons(
    drafted_case, jx_chair, jx_forecaster, client
):
    page = reverse("postquake:case-detail", kwargs={"case_id": drafted_case.pk})
    client.force_login(jx_forecaster)
    html = client.get(page).content.decode()
    assert 'id="opinion-1"' in html
    assert 'id="opinion-form-1"' not in html
    assert 'data-action="issue"' not in html
    client.force_login(jx_chair)
    html = client.get(page).content.decode()
    assert 'id="opinion-form-1"' in html
    assert 'data-action="issue"' in html
    assert 'id="case-close"' in html
    post = reverse("postquake:opinion", kwargs={"case_id": drafted_case.pk, "number": 1})
    response = client.post(post, {"action": "edit", "o1-text": "页面上写的意见", "o1-sequence_type": ""})
    assert response.status_code == 302
    assert _first(drafted_case).text == "页面上写的意见"
    client.post(post, {"action": "issue"})
    assert _first(drafted_case).state == OpinionState.ISSUED
    html = client.get(page).content.decode()
    assert 'data-state="issued"' in html
    assert "页面上写的意见" in html
    assert 'id="opinion-form-1"' not in html


def test_an_untouched_prefill_saved_from_the_page_stays_a_prefill(drafted_case, jx_chair, client):
    from postquake.wording import opinion_text

    client.force_login(jx_chair)
    post = reverse("postquake:opinion", kwargs={"case_id": drafted_case.pk, "number": 1})
    client.post(
        post,
        {"action": "edit", "o1-text": opinion_text(_first(drafted_case)), "o1-sequence_type": "isolated"},
    )
    opinion = _first(drafted_case)
    assert (opinion.text, opinion.sequence_type) == ("", "isolated")
