"""Person pickers list only who can take the role, by name and bureau; the services refuse anyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from consultations.forms import MeetingForm
from consultations.models import Meeting
from portal.forms import PersonChoiceField
from portal.selectors import people_who_can

pytestmark = pytest.mark.django_db

BASE = "/api/v1/consultations"


@pytest.fixture
def ji(make_person, jx):
    """A chair with a display name, whom the pickers show as 赣主持人 (JX)."""
    return make_person("jx_chair2", (jx, "chair"), display_name="赣主持人")


def test_people_who_can_take_a_role(jx, nm, make_person, jx_chair, jx_expert, jx_forecaster, jx_viewer):
    seis = make_person("jx_seis", (jx, "expert", "seismology"))
    every = make_person("jx_every", (jx, "expert"))  # an expert of every discipline
    gone = make_person("jx_gone", (jx, "chair"), is_active=False)
    make_person("nm_chair", (nm, "chair"))
    chairs = people_who_can(bureau_ids=[jx.pk], role="chair")
    assert list(chairs) == [jx_chair]
    assert gone not in chairs
    fluid = people_who_can(
        bureau_ids=[jx.pk], role="expert", discipline=jx_expert.memberships.get().discipline
    )
    assert set(fluid) == {jx_expert, every}
    assert seis not in fluid
    assert set(people_who_can(bureau_ids=[jx.pk])) == {
        jx_chair,
        jx_expert,
        jx_forecaster,
        jx_viewer,
        seis,
        every,
    }


def test_pickers_show_name_and_bureau_not_the_login(jx, ji):
    field = PersonChoiceField(queryset=people_who_can(bureau_ids=[jx.pk], role="chair"))
    labels = [label for value, label in field.choices if value]
    assert labels == ["赣主持人 (JX)"]


def test_meeting_form_lists_chairs_as_chair_and_experts_of_the_discipline_as_representative(
    jx, jx_chair, jx_expert, jx_forecaster, make_person
):
    seis = make_person("jx_seis", (jx, "expert", "seismology"))
    form = MeetingForm(bureau_ids=[jx.pk])
    assert list(form.fields["chair"].queryset) == [jx_chair]
    assert list(form.fields["rep_fluid"].queryset) == [jx_expert]
    assert list(form.fields["rep_seismology"].queryset) == [seis]
    assert set(form.fields["participants"].queryset) == {jx_chair, jx_expert, jx_forecaster, seis}


def test_meeting_page_refuses_a_chair_who_is_not_a_chair(jx_forecaster, jx_chair):
    client = Client()
    client.force_login(jx_forecaster)
    page = client.get("/consultations/meetings/new/").content.decode()
    assert f'<option value="{jx_forecaster.pk}"' not in page.split('name="chair"')[1].split("</select>")[0]
    body = {"kind": "weekly", "title": "周会商", "starts_at": "2026-12-07T09:00", "chair": jx_forecaster.pk}
    response = client.post("/consultations/meetings/new/", body)
    assert response.status_code == 200  # the form again, the choice refused
    assert not Meeting.objects.exists()
    response = client.post("/consultations/meetings/new/", {**body, "chair": jx_chair.pk})
    assert response.status_code == 302
    assert response["Location"] == Meeting.objects.get().get_absolute_url()  # lands on what was saved


def test_meeting_api_refuses_a_chair_who_is_not_a_chair_naming_the_field(api, jx_chair, jx_forecaster):
    body = {
        "kind": "weekly",
        "title": "周会商",
        "starts_at": "2026-12-07T09:00:00+08:00",
        "chair": "jx_forecaster",
    }
    response = api(jx_chair).post(f"{BASE}/meetings/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["chair"]
    assert not Meeting.objects.exists()


def test_meeting_api_refuses_a_chair_change_to_a_non_chair(api, jx_chair, jx_forecaster):
    body = {"kind": "weekly", "title": "周会商", "starts_at": "2026-12-07T09:00:00+08:00"}
    meeting_id = api(jx_chair).post(f"{BASE}/meetings/", body, format="json").json()["id"]
    response = api(jx_chair).patch(
        f"{BASE}/meetings/{meeting_id}/", {"chair": "jx_forecaster"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["chair"]
    assert Meeting.objects.get().chair == jx_chair
