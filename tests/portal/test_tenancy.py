"""portal/tenancy.py: who acts in which bureau with which roles, and which rows they read.

Models used as examples of the three visibility hooks: ``Event`` (PUBLIC_Q and
PUBLISHED_Q: a published event), ``Anomaly`` (PUBLISHED_Q only: assessed, never
public), ``Meeting`` (shared_q: joint meetings).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from catalog.models import Event
from consultations.models import Meeting
from disciplines.models import Anomaly
from portal.tenancy import Actor, actor_for
from tests.factories import (
    AnomalyFactory,
    BureauFactory,
    DisciplineFactory,
    EventFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- Actor.has_role / disciplines_for ----------------------------------------------------


def test_has_role_without_discipline_is_true_for_a_role_held_for_one_discipline(jx):
    # given
    expert = MembershipFactory(bureau=jx, role="expert", discipline=DisciplineFactory(code="fluid")).user
    # when
    actor = actor_for(expert)
    # then
    assert (actor.has_role("expert"), actor.has_role("chair")) == (True, False)


def test_has_role_for_a_discipline_counts_only_that_discipline(jx):
    # given
    fluid = DisciplineFactory(code="fluid")
    expert = MembershipFactory(bureau=jx, role="expert", discipline=fluid).user
    # when
    actor = actor_for(expert)
    # then
    assert actor.has_role("expert", discipline=fluid) is True
    assert actor.has_role("expert", discipline="fluid") is True
    assert actor.has_role("expert", discipline="seismology") is False


def test_a_membership_without_discipline_covers_every_discipline(jx):
    # given
    expert = MembershipFactory(bureau=jx, role="expert").user
    # when
    actor = actor_for(expert)
    # then
    assert actor.has_role("expert", discipline="seismology") is True
    assert actor.disciplines_for("expert") is None


def test_disciplines_for_lists_the_codes_of_the_role_only(jx):
    # given
    person = UserFactory()
    MembershipFactory(user=person, bureau=jx, role="expert", discipline=DisciplineFactory(code="fluid"))
    MembershipFactory(user=person, bureau=jx, role="expert", discipline=DisciplineFactory(code="seismology"))
    MembershipFactory(user=person, bureau=jx, role="forecaster")
    # when
    actor = actor_for(person)
    # then
    assert actor.disciplines_for("expert") == {"fluid", "seismology"}
    assert actor.disciplines_for("chair") == set()


# --- actor_for -------------------------------------------------------------------------


def test_actor_for_without_code_takes_the_first_bureau_by_code(jx, nm):
    # given
    person = UserFactory()
    MembershipFactory(user=person, bureau=nm, role="forecaster")
    MembershipFactory(user=person, bureau=jx, role="viewer")
    # when
    actor = actor_for(person)
    # then: JX sorts before NM, and only JX's roles come along
    assert (actor.bureau, actor.roles) == (jx, {"viewer"})


def test_actor_for_with_a_code_acts_in_that_bureau(jx, nm):
    # given
    person = UserFactory()
    MembershipFactory(user=person, bureau=nm, role="forecaster")
    MembershipFactory(user=person, bureau=jx, role="viewer")
    # when
    actor = actor_for(person, "NM")
    # then
    assert (actor.bureau, actor.roles) == (nm, {"forecaster"})


def test_actor_for_a_bureau_without_a_role_there_is_none(jx, nm, jx_forecaster):
    # when / then
    assert actor_for(jx_forecaster, "NM") is None
    assert actor_for(jx_forecaster, "XX") is None


def test_a_revoked_membership_gives_no_role(jx):
    # given
    person = UserFactory()
    MembershipFactory(user=person, bureau=jx, role="viewer")
    MembershipFactory(user=person, bureau=jx, role="chair", revoked_at=timezone.now())
    # when
    actor = actor_for(person)
    # then
    assert actor.roles == {"viewer"}


def test_a_person_whose_only_membership_is_revoked_has_no_actor(jx):
    # given
    person = MembershipFactory(bureau=jx, role="chair", revoked_at=timezone.now()).user
    # when / then
    assert actor_for(person) is None
    assert actor_for(person, "JX") is None


def test_membership_of_an_inactive_bureau_gives_no_actor(jx):
    # given
    closed = BureauFactory(code="OLD", is_active=False)
    person = MembershipFactory(bureau=closed, role="forecaster").user
    # when / then
    assert actor_for(person) is None
    assert actor_for(person, "OLD") is None


def test_an_inactive_person_has_no_actor(jx):
    # given
    person = MembershipFactory(bureau=jx, role="forecaster", user__is_active=False).user
    # when / then
    assert actor_for(person) is None


def test_a_superuser_acts_in_any_bureau_without_roles(jx, nm, sysadmin):
    # when
    anywhere = actor_for(sysadmin)
    in_nm = actor_for(sysadmin, "NM")
    # then
    assert (anywhere.bureau, anywhere.is_system_admin) == (None, True)
    assert (in_nm.bureau, in_nm.roles) == (nm, set())
    assert actor_for(sysadmin, "XX") is None


# --- visible_to --------------------------------------------------------------------------


def test_people_of_a_bureau_read_their_own_drafts(jx, jx_viewer):
    # given
    draft = EventFactory(bureau=jx, is_published=False)
    # when
    rows = Event.objects.visible_to(actor_for(jx_viewer))
    # then
    assert list(rows) == [draft]


def test_a_province_does_not_read_another_provinces_drafts(jx, nm, nm_forecaster):
    # given
    EventFactory(bureau=jx, is_published=False)
    AnomalyFactory(bureau=jx, state="assessed")
    # when / then
    assert list(Event.objects.visible_to(actor_for(nm_forecaster))) == []
    assert list(Anomaly.objects.visible_to(actor_for(nm_forecaster))) == []


def test_a_national_unit_reads_what_provinces_published_and_nothing_else(jx, cenc, cenc_forecaster):
    # given
    published = AnomalyFactory(bureau=jx, state="assessed")
    AnomalyFactory(bureau=jx, state="reported")
    # when
    rows = Anomaly.objects.visible_to(actor_for(cenc_forecaster))
    # then
    assert list(rows) == [published]


def test_public_rows_are_read_by_anyone_even_without_signing_in(jx, nm, nm_forecaster):
    # given
    public = EventFactory(bureau=jx, is_published=True)
    EventFactory(bureau=jx, is_published=True, status="deleted")
    # when / then
    assert list(Event.objects.visible_to(None)) == [public]
    assert list(Event.objects.visible_to(actor_for(nm_forecaster))) == [public]


def test_a_joint_meeting_is_shared_with_the_bureaus_taking_part(jx, nm, cenc, nm_forecaster, cenc_forecaster):
    # given
    joint = MeetingFactory(bureau=jx)
    joint.joint_bureaus.add(nm)
    MeetingFactory(bureau=jx)
    # when / then
    assert list(Meeting.objects.visible_to(actor_for(nm_forecaster))) == [joint]
    assert list(Meeting.objects.visible_to(actor_for(cenc_forecaster))) == []


def test_no_actor_reads_nothing_of_a_model_without_public_rows(jx):
    # given
    AnomalyFactory(bureau=jx, state="assessed")
    # when / then
    assert list(Anomaly.objects.visible_to(None)) == []


def test_an_actor_without_a_bureau_reads_only_public_rows(jx, outsider):
    # given: an actor as a caller might build one for a person with no bureau
    actor = Actor(user=outsider, bureau=None)
    public = EventFactory(bureau=jx, is_published=True)
    EventFactory(bureau=jx, is_published=False)
    AnomalyFactory(bureau=jx, state="assessed")
    # when / then
    assert list(Event.objects.visible_to(actor)) == [public]
    assert list(Anomaly.objects.visible_to(actor)) == []


def test_a_system_admin_reads_every_bureau(jx, nm, sysadmin):
    # given
    rows = {AnomalyFactory(bureau=jx), AnomalyFactory(bureau=nm)}
    # when / then
    assert set(Anomaly.objects.visible_to(actor_for(sysadmin))) == rows


# --- editable_by -------------------------------------------------------------------------


def test_editable_by_is_only_the_own_bureau_even_for_a_reader_of_published_rows(
    jx, cenc, jx_viewer, cenc_forecaster, outsider, sysadmin
):
    # given
    mine = EventFactory(bureau=jx, is_published=True)
    # when / then
    assert list(Event.objects.editable_by(actor_for(jx_viewer))) == [mine]
    assert list(Event.objects.editable_by(actor_for(cenc_forecaster))) == []
    assert list(Event.objects.editable_by(None)) == []
    assert list(Event.objects.editable_by(Actor(user=outsider, bureau=None))) == []
    assert list(Event.objects.editable_by(actor_for(sysadmin))) == [mine]
