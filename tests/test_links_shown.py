"""A person is shown a link only when its page opens for them (the crawl holds it over the demo
data; these hold each rule on its own)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal import selectors
from tests.factories import ConsultationReportFactory, NotificationFactory

pytestmark = pytest.mark.django_db


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


# --- notifications of another bureau ------------------------------------------------------


def test_a_notification_of_the_bureau_acted_in_links_to_its_page(make_person, jx, nm, as_actor):
    person = make_person("zone", (jx, "forecaster"), (nm, "viewer"))
    notification = NotificationFactory(recipient=person, bureau=jx, url="/reports/topic/5/")
    link = selectors.notification_link(actor=as_actor(person, "JX"), notification=notification)
    assert link == selectors.NotificationLink(url="/reports/topic/5/")


def test_a_notification_of_another_bureau_of_the_person_opens_through_the_switcher(
    make_person, jx, nm, as_actor
):
    person = make_person("zone", (jx, "forecaster"), (nm, "viewer"))
    notification = NotificationFactory(recipient=person, bureau=jx, url="/reports/topic/5/")
    link = selectors.notification_link(actor=as_actor(person, "NM"), notification=notification)
    assert link == selectors.NotificationLink(url="/reports/topic/5/", switch_to="JX")


def test_a_notification_of_a_bureau_the_person_left_is_no_link(make_person, jx, nm, as_actor):
    person = make_person("moved", (nm, "viewer"))
    notification = NotificationFactory(recipient=person, bureau=jx, url="/reports/topic/5/")
    link = selectors.notification_link(actor=as_actor(person, "NM"), notification=notification)
    assert link == selectors.NotificationLink()


def test_dashboard_and_notifications_page_open_another_bureaus_notification_by_switching(
    client, make_person, jx, nm
):
    person = make_person("zone", (jx, "forecaster"), (nm, "viewer"))
    NotificationFactory(recipient=person, bureau=jx, url="/reports/topic/5/", title="专题报告失败")
    client.force_login(person)
    client.post(reverse("switch-bureau"), {"bureau": "NM"})
    for page in ("/", reverse("notifications")):
        html = client.get(page).content.decode()
        assert "/reports/topic/5/" not in _hrefs(html)
        assert 'name="next" value="/reports/topic/5/"' in html
    response = client.post(reverse("switch-bureau"), {"bureau": "JX", "next": "/reports/topic/5/"})
    assert response["Location"] == "/reports/topic/5/"
    assert client.session["portal_bureau"] == "JX"


# --- menus ask the pages' own permissions -------------------------------------------------


def test_the_menu_shows_no_page_the_reader_may_not_open(client, jx_viewer):
    client.force_login(jx_viewer)
    hrefs = _hrefs(client.get("/").content.decode())
    assert {"/products/new/", "/disciplines/matrix/"} & hrefs == set()


def test_the_menu_shows_the_pages_a_forecaster_opens(client, jx_forecaster):
    client.force_login(jx_forecaster)
    hrefs = _hrefs(client.get("/").content.decode())
    assert {"/products/new/", "/disciplines/matrix/", "/events/quick-report/"} <= hrefs


def test_a_system_admin_in_no_bureau_is_shown_no_bureau_page_of_the_catalog(client, sysadmin):
    client.force_login(sysadmin)
    hrefs = _hrefs(client.get("/").content.decode())
    assert {
        "/events/quick-report/",
        "/events/inbox/",
        "/events/imports/",
        "/events/alert-rule/",
    } & hrefs == set()


# --- an issued report read outside its bureau ---------------------------------------------


def test_a_reader_of_another_bureau_sees_the_reports_meeting_without_a_link(client, jx, cenc_forecaster):
    report = ConsultationReportFactory(meeting__bureau=jx, status="issued")
    client.force_login(cenc_forecaster)
    html = client.get(reverse("consultations:report-detail", args=[report.pk])).content.decode()
    assert report.meeting.title in html
    assert report.meeting.get_absolute_url() not in _hrefs(html)


def test_a_member_of_the_bureau_follows_the_reports_meeting(client, jx, jx_forecaster):
    report = ConsultationReportFactory(meeting__bureau=jx, status="issued")
    client.force_login(jx_forecaster)
    html = client.get(reverse("consultations:report-detail", args=[report.pk])).content.decode()
    assert report.meeting.get_absolute_url() in _hrefs(html)
