"""The demo briefs of JX: built from what the demo holds, once."""

from __future__ import annotations

from portal.models import Notification, RenderedDocument
from trends.models import Brief


def test_demo_briefs_are_seeded_once_and_not_pushed(jx, disciplines, jx_forecaster):
    from trends import brief_demo

    first = brief_demo.seed()
    again = brief_demo.seed()
    assert first == again
    kinds = sorted(Brief.objects.filter(bureau=jx).values_list("kind", flat=True))
    assert kinds == ["daily", "daily", "daily", "discipline", "weekly"]
    assert Brief.objects.get(kind="discipline").discipline.code == "fluid"
    assert not Notification.objects.filter(kind__startswith="brief.").exists()
    latest = Brief.objects.filter(kind="daily").order_by("-period_end").first()
    document = RenderedDocument.objects.get(kind="trends.brief", object_id=latest.pk)
    assert document.status == "ready"
