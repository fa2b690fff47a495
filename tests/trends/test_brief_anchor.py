"""The daily brief carries the audit chain's anchor of the day before it (portal.audit_chain):
the last record of that Beijing day and its hash, on the page and in the printed brief."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from portal.models import AuditAnchor, AuditEvent
from portal.services import audit_record
from portal.timefmt import BEIJING
from trends.brief_rendering import brief_html
from trends.services import briefs as brief_services

pytestmark = pytest.mark.django_db


def test_the_daily_brief_prints_the_anchor_of_the_day_before(jx, jx_viewer, client, monkeypatch):
    for step in range(3):
        audit_record(actor=None, action="test.step", target=jx, extra={"step": step})
    today = timezone.now().astimezone(BEIJING).date()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(8), tzinfo=BEIJING)
    monkeypatch.setattr("django.utils.timezone.now", lambda: end + dt.timedelta(minutes=5))
    brief = brief_services.brief_compile(bureau=jx, kind="daily", period_end=end)
    anchor = AuditAnchor.objects.get(day=today)
    assert anchor.seq >= 3
    assert anchor.hash == AuditEvent.objects.get(seq=anchor.seq).hash
    assert brief.content["audit_anchor"] == {"day": today.isoformat(), "seq": anchor.seq, "hash": anchor.hash}
    client.force_login(jx_viewer)
    page = client.get(brief.get_absolute_url()).content.decode()
    assert f'<code id="audit-anchor-hash" data-seq="{anchor.seq}"' in page
    assert anchor.hash in page
    with translation.override("en"):
        printed = brief_html(brief)
    assert anchor.hash in printed
    assert f"last record of {today.isoformat()}" in printed
    weekly = brief_services.brief_compile(bureau=jx, kind="weekly", period_end=end)
    assert "audit_anchor" not in weekly.content


def test_a_daily_brief_of_a_day_before_the_first_record_says_so(jx):
    audit_record(actor=None, action="test.step", target=jx)
    end = dt.datetime(2020, 3, 2, 8, tzinfo=BEIJING)
    brief = brief_services.brief_compile(bureau=jx, kind="daily", period_end=end)
    assert brief.content["audit_anchor"] is None
    with translation.override("en"):
        assert "had no anchor for the day before this brief yet" in brief_html(brief)
