"""Role grants choose a role on purpose and say when it is already held; irreversible acts ask first."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Membership

pytestmark = pytest.mark.django_db


def _grant_select(page: str) -> str:
    return page.split('id="grant-form"')[1].split('name="role"')[1].split("</select>")[0]


def test_grant_form_preselects_no_role_and_asks_first(client, jx_admin, jx_viewer):
    client.force_login(jx_admin)
    page = client.get(reverse("person-detail", args=[jx_viewer.pk])).content.decode()
    select = _grant_select(page)
    assert re.search(r'<option value="" selected>', select)
    assert "selected" not in select.split('<option value=""', 1)[1].split("</option>", 1)[1]
    assert re.search(r'id="grant-form" data-confirm="[^"]+"', page)


def test_grant_without_a_role_is_a_form_error(client, jx_admin, jx_viewer):
    client.force_login(jx_admin)
    response = client.post(reverse("person-detail", args=[jx_viewer.pk]), {"action": "grant", "role": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert Membership.objects.filter(user=jx_viewer).count() == 1


def test_duplicate_grant_says_it_already_exists(client, jx_admin, jx_viewer):
    client.force_login(jx_admin)
    audits = AuditEvent.objects.count()
    response = client.post(
        reverse("person-detail", args=[jx_viewer.pk]), {"action": "grant", "role": "viewer"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [f"{jx_viewer.label} 已拥有该角色。"]
    assert 'id="role-error"' in response.content.decode()
    assert Membership.objects.filter(user=jx_viewer, revoked_at=None).count() == 1
    assert AuditEvent.objects.count() == audits


def test_a_new_grant_lands_back_on_the_person(client, jx_admin, jx_viewer):
    client.force_login(jx_admin)
    response = client.post(
        reverse("person-detail", args=[jx_viewer.pk]),
        {"action": "grant", "role": "expert", "discipline": "fluid"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("person-detail", args=[jx_viewer.pk])
    assert Membership.objects.filter(user=jx_viewer, role="expert", revoked_at=None).count() == 1


def test_revoke_and_deactivate_ask_first(client, jx_admin, jx_viewer):
    client.force_login(jx_admin)
    page = client.get(reverse("person-detail", args=[jx_viewer.pk])).content.decode()
    revoke = page.split('name="action" value="revoke"')[0].rsplit("<form", 1)[1]
    deactivate = page.split('name="action" value="deactivate"')[0].rsplit("<form", 1)[1]
    assert "data-confirm=" in revoke
    assert "data-confirm=" in deactivate


def test_closing_a_meeting_asks_first(client, jx_chair, as_actor):
    from django.utils import timezone

    from consultations.services import meetings as services

    meeting = services.meeting_create(
        actor=as_actor(jx_chair), kind="weekly", title="周会商", starts_at=timezone.now()
    )
    services.meeting_open(actor=as_actor(jx_chair), meeting=meeting)
    client.force_login(jx_chair)
    page = client.get(meeting.get_absolute_url()).content.decode()
    form = page.split('id="close-meeting"')[0].rsplit("<form", 1)[1]
    assert 'data-confirm="结束会商？结束后不能重新开启。"' in form
