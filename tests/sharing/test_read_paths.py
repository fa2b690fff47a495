"""Grants reach every read path, through the same visible_to: before a grant another bureau
gets 404, with it 200 (narrowed to its period and channels), after it expires or is revoked
404 again; what only a grant opened leaves an access record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from sharing.models import Dataset, Grant
from sharing.services import requests as services
from sharing.services.requests import Scope
from sharing.services.sync import datasets_sync
from tests.factories import ConsultationReportFactory, EventFactory, ProductRunFactory, TopicReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(ask, jx_steward, nm_forecaster, as_actor):
    """``grant(dataset, **scope)`` → NM's approved request for it (approved by JX's steward)."""

    def make(dataset, **scope):
        request = ask(nm_forecaster, dataset)
        return services.request_approve(
            actor=as_actor(jx_steward), request=request, scope=Scope(**scope) if scope else None
        )

    return make


@pytest.fixture
def revoke(jx_steward, as_actor):
    def make(request):
        return services.request_revoke(actor=as_actor(jx_steward), request=request, reason="结束")

    return make


def _expire(request):
    Grant.objects.filter(request=request).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def _dataset(jx, key):
    datasets_sync(bureau_id=jx.pk)
    return Dataset.objects.get(bureau=jx, key=key)


def _accesses(**extra):
    return list(
        AuditEvent.objects.filter(
            action="data.access", **{f"extra__{k}": v for k, v in extra.items()}
        ).values_list("bureau__code", "actor__username", "extra__model", "extra__rows")
    )


# --- series ---------------------------------------------------------------------------------

SERIES = "/api/v1/series/?channel={}&start=2026-11-01T00:00:00Z&end=2026-11-11T00:00:00Z&resolution=1d"


def test_series_api_and_pages_open_with_a_grant_narrowed_and_close_with_its_revocation(
    client, api, datasets, channels, nm_forecaster, grant, revoke
):
    level, temperature = channels
    nm = api(nm_forecaster)
    client.force_login(nm_forecaster)
    channel_page = reverse("observations:channel-detail", args=[level.pk])
    station_page = reverse("observations:station-detail", args=["JX-XS"])
    # before
    assert nm.get(SERIES.format(level.pk)).status_code == 404
    assert client.get(channel_page).status_code == 404
    assert client.get(station_page).status_code == 404
    # granted: the water level from 11-05 on
    request = grant(datasets["station:JX-XS"], period_start=dt.date(2026, 11, 5), channels=(level.pk,))
    response = nm.get(SERIES.format(level.pk))
    assert response.status_code == 200
    values = response.json()["values"]
    assert values[0] is None
    assert values[9] == pytest.approx(719.5)
    assert nm.get(SERIES.format(temperature.pk)).status_code == 404  # a channel not granted
    assert client.get(channel_page).status_code == 200
    station = client.get(station_page)
    assert station.status_code == 200
    html = station.content.decode()
    assert channel_page in html
    assert reverse("observations:channel-detail", args=[temperature.pk]) not in html
    assert _accesses() == [("JX", "nm_forecaster", "observations.seriesday", 1)]
    # revoked
    revoke(request)
    assert nm.get(SERIES.format(level.pk)).status_code == 404
    assert client.get(channel_page).status_code == 404


def test_the_owner_reading_its_own_series_leaves_no_access_record(api, datasets, channels, jx_forecaster):
    assert api(jx_forecaster).get(SERIES.format(channels[0].pk)).status_code == 200
    assert _accesses() == []


def test_a_granted_series_read_with_a_personal_token_is_recorded_with_the_token(
    datasets, channels, nm_forecaster, grant, as_actor
):
    """A program reading a granted series through a token: the access row names the token;
    without the ``series:read`` scope the same request is refused (403) and reads nothing."""
    from rest_framework.test import APIClient

    from portal.token_services import token_create

    grant(datasets["station:JX-XS"])
    expires = timezone.now() + dt.timedelta(days=7)
    token, secret = token_create(
        actor=as_actor(nm_forecaster), name="台站脚本", scopes=["series:read"], expires=expires
    )
    _other, other_secret = token_create(
        actor=as_actor(nm_forecaster), name="目录脚本", scopes=["catalog:read"], expires=expires
    )
    program = APIClient()
    program.credentials(HTTP_AUTHORIZATION=f"Bearer {other_secret}")
    assert program.get(SERIES.format(channels[0].pk)).status_code == 403
    assert _accesses() == []
    program.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert program.get(SERIES.format(channels[0].pk)).status_code == 200
    # the two stored days of the level in the window, both opened by the grant
    assert _accesses(token=token.pk) == [("JX", "nm_forecaster", "observations.seriesday", 2)]
    # read in a session, the same access names no token
    session = APIClient()
    session.force_authenticate(nm_forecaster)
    assert session.get(SERIES.format(channels[0].pk)).status_code == 200
    assert len(_accesses(token=None)) == 1


def test_series_close_when_the_grant_expires(api, datasets, channels, nm_forecaster, grant):
    request = grant(datasets["item:WL"])
    assert api(nm_forecaster).get(SERIES.format(channels[0].pk)).status_code == 200
    _expire(request)
    assert api(nm_forecaster).get(SERIES.format(channels[0].pk)).status_code == 404


# --- the catalog: FDSN and event pages ---------------------------------------------------------

FDSN = "/fdsnws/event/1/query?format=text&catalog=JX"


def _fdsn(client) -> str:
    response = client.get(FDSN)
    if response.status_code == 204:
        return ""
    return b"".join(response.streaming_content).decode()


def test_fdsn_serves_an_unpublished_event_to_a_bureau_granted_the_catalog(
    client, jx, nm_forecaster, grant, revoke
):
    draft = EventFactory(bureau=jx, public_id="jxdraft2026a", is_published=False, status="automatic")
    published = EventFactory(bureau=jx, public_id="jxpub2026b")
    deleted = EventFactory(bureau=jx, public_id="jxdel2026c", is_published=False, status="deleted")
    client.force_login(nm_forecaster)
    page = reverse("catalog:event-detail", kwargs={"public_id": draft.public_id})
    before = _fdsn(client)
    assert published.public_id in before
    assert draft.public_id not in before
    assert client.get(page).status_code == 404
    request = grant(_dataset(jx, "catalog"))
    after = _fdsn(client)
    assert draft.public_id in after
    assert published.public_id in after
    assert deleted.public_id not in after
    assert client.get(page).status_code == 200
    assert _accesses(how="fdsn") == [("JX", "nm_forecaster", "catalog.event", 1)]  # the draft only
    revoke(request)
    assert draft.public_id not in _fdsn(client)
    assert client.get(page).status_code == 404


def test_a_catalog_grant_is_bounded_by_its_period(client, jx, nm_forecaster, grant):
    old = EventFactory(
        bureau=jx,
        public_id="jxold2026",
        is_published=False,
        origin_time=dt.datetime(2026, 10, 31, 17, tzinfo=dt.UTC),
    )
    new = EventFactory(
        bureau=jx,
        public_id="jxnew2026",
        is_published=False,
        origin_time=dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC),
    )
    # 10-31 17:00 UTC is 11-01 01:00 Beijing: inside a period from 11-01 (Beijing dates)
    grant(_dataset(jx, "catalog"), period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 1))
    client.force_login(nm_forecaster)
    body = _fdsn(client)
    assert old.public_id in body
    assert new.public_id in body
    edge = EventFactory(
        bureau=jx,
        public_id="jxedge2026",
        is_published=False,
        origin_time=dt.datetime(2026, 11, 1, 16, tzinfo=dt.UTC),
    )
    assert edge.public_id not in _fdsn(client)  # 11-02 00:00 Beijing


# --- products --------------------------------------------------------------------------------


def test_product_runs_open_with_a_grant_of_the_method(client, api, jx, nm_forecaster, grant, revoke):
    run = ProductRunFactory(bureau=jx, method="bvalue", status="succeeded", result={"b": 1.0})
    failed = ProductRunFactory(bureau=jx, method="bvalue", status="failed")
    other = ProductRunFactory(bureau=jx, method="mc", status="succeeded")
    nm = api(nm_forecaster)
    client.force_login(nm_forecaster)
    assert nm.get(f"/api/v1/products/{run.pk}/").status_code == 404
    request = grant(_dataset(jx, "method:bvalue"))
    assert nm.get(f"/api/v1/products/{run.pk}/").status_code == 200
    assert client.get(reverse("products:run-detail", args=[run.pk])).status_code == 200
    assert nm.get(f"/api/v1/products/{failed.pk}/").status_code == 404
    assert nm.get(f"/api/v1/products/{other.pk}/").status_code == 404
    assert _accesses(how="api") == [("JX", "nm_forecaster", "products.productrun", 1)]
    _expire(request)
    assert nm.get(f"/api/v1/products/{run.pk}/").status_code == 404
    revoke(request)
    assert client.get(reverse("products:run-detail", args=[run.pk])).status_code == 404


# --- reports ---------------------------------------------------------------------------------


def test_topic_reports_open_when_published_and_granted(client, api, jx, nm_forecaster, grant, revoke):
    ready = TopicReportFactory(event=EventFactory(bureau=jx), status="ready")
    building = TopicReportFactory(event=EventFactory(bureau=jx, public_id="jxbuild"), status="building")
    nm = api(nm_forecaster)
    client.force_login(nm_forecaster)
    page = reverse("reports:topic-detail", args=[ready.pk])
    assert nm.get(f"/api/v1/topic-reports/{ready.pk}/").status_code == 404
    assert client.get(page).status_code == 404
    request = grant(_dataset(jx, "report:topic_report"))
    assert nm.get(f"/api/v1/topic-reports/{ready.pk}/").status_code == 200
    assert client.get(page).status_code == 200
    assert nm.get(f"/api/v1/topic-reports/{building.pk}/").status_code == 404  # never a draft
    revoke(request)
    assert nm.get(f"/api/v1/topic-reports/{ready.pk}/").status_code == 404


def test_trend_reports_open_when_issued_and_granted(client, api, jx, nm_forecaster, grant, revoke):
    from trends.models import TrendReport

    issued = TrendReport.objects.create(
        bureau=jx, month=dt.date(2026, 10, 1), title="2026年10月震情", status="issued"
    )
    draft = TrendReport.objects.create(bureau=jx, month=dt.date(2026, 11, 1), title="2026年11月震情")
    nm = api(nm_forecaster)
    client.force_login(nm_forecaster)
    assert nm.get(f"/api/v1/trend-reports/{issued.pk}/").status_code == 404
    request = grant(_dataset(jx, "report:trend_report"))
    assert nm.get(f"/api/v1/trend-reports/{issued.pk}/").status_code == 200
    assert client.get(reverse("trends:report-detail", args=[issued.pk])).status_code == 200
    assert nm.get(f"/api/v1/trend-reports/{draft.pk}/").status_code == 404
    _expire(request)
    assert nm.get(f"/api/v1/trend-reports/{issued.pk}/").status_code == 404


def test_consultation_reports_open_when_issued_and_granted(client, api, jx, nm_forecaster, grant, revoke):
    issued = ConsultationReportFactory(meeting__bureau=jx, status="issued")
    draft = ConsultationReportFactory(meeting__bureau=jx)
    nm = api(nm_forecaster)
    client.force_login(nm_forecaster)
    assert nm.get(f"/api/v1/consultations/reports/{issued.pk}/").status_code == 404
    request = grant(_dataset(jx, "report:consultation_report"))
    assert nm.get(f"/api/v1/consultations/reports/{issued.pk}/").status_code == 200
    assert client.get(reverse("consultations:report-detail", args=[issued.pk])).status_code == 200
    assert nm.get(f"/api/v1/consultations/reports/{draft.pk}/").status_code == 404
    revoke(request)
    assert nm.get(f"/api/v1/consultations/reports/{issued.pk}/").status_code == 404


def test_visible_to_stays_one_query_with_grant_sources(
    datasets, channels, nm_forecaster, grant, as_actor, django_assert_num_queries
):
    from observations.models import SeriesDay

    grant(datasets["station:JX-XS"])
    nm = as_actor(nm_forecaster)
    with django_assert_num_queries(1):
        assert len(list(SeriesDay.objects.visible_to(nm))) == 4
