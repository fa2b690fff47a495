"""An anomaly assigned for verification waits for its verifier: listed with a direct link."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _waiting(user) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = client.get("/notifications/").content.decode()
    start = page.index('id="waiting-list"')
    return page[start : page.index("</ul>", start)]


def test_assigned_anomaly_waits_for_the_verifier_only(in_state, jx_expert, jx_expert2, jx_viewer):
    anomaly = in_state("verifying")  # assigned to jx_expert by jx_expert2
    link = f'href="/disciplines/anomalies/{anomaly.pk}/"'
    verifier = _waiting(jx_expert)
    assert link in verifier
    assert "to verify by" in verifier
    assert link not in _waiting(jx_expert2)
    assert link not in _waiting(jx_viewer)
