"""The index is kept current on every save through the services, and on delete."""

import datetime as dt

import pytest
from django.utils import timezone

from disciplines.services.anomalies import anomaly_report
from portal.search_input import search_filter
from portal.search_selectors import search_page

pytestmark = pytest.mark.django_db


def _found(actor, q):
    return [(h.kind, h.id) for h in search_page(actor=actor, flt=search_filter(q=q), offset=0, limit=10)]


def test_a_reported_anomaly_is_found_right_after_the_save(
    jx_expert, disciplines, as_actor, django_capture_on_commit_callbacks
):
    actor = as_actor(jx_expert)
    with django_capture_on_commit_callbacks(execute=True):
        anomaly = anomaly_report(
            actor=actor,
            discipline=disciplines["fluid"],
            observation_item="水位",
            onset_at=timezone.now() - dt.timedelta(days=1),
            description="庐山台水位呈趋势性下降。",
            station="庐山台",
        )
    assert _found(actor, "庐山 水位下降") == [("anomaly", anomaly.pk)]


def test_an_edit_and_a_delete_reach_the_index(
    jx, jx_forecaster, disciplines, as_actor, django_capture_on_commit_callbacks
):
    from tests.factories import MeetingFactory

    actor = as_actor(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = MeetingFactory(bureau=jx, title="赣北地区震情会商", agenda="九江 瑞昌 地电阻率")
    assert _found(actor, "赣北 会商") == [("meeting", meeting.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        meeting.title = "赣南地区震情会商"
        meeting.save()
    assert _found(actor, "赣北 会商") == []
    assert _found(actor, "赣南 会商") == [("meeting", meeting.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        meeting.delete()
    assert _found(actor, "赣南 会商") == []


def test_a_verification_report_reindexes_its_anomaly(
    corpus, jx, jx_forecaster, as_actor, django_capture_on_commit_callbacks
):
    from disciplines.models import VerificationReport

    anomaly = corpus["nanchang_temp"]
    with django_capture_on_commit_callbacks(execute=True):
        VerificationReport.objects.create(
            anomaly=anomaly,
            bureau=jx,
            verifier=anomaly.reported_by,
            analysis="经核实为探头老化所致的仪器干扰。",
        )
    assert _found(as_actor(jx_forecaster), "探头 老化") == [("anomaly", anomaly.pk)]


def test_an_imported_catalog_is_found_once_the_import_commits(
    jx, jx_forecaster, as_actor, django_capture_on_commit_callbacks
):
    """The import writes events in bulk (no save signal): it has the new and the changed ones
    indexed once it commits (a task; eager here)."""
    import io

    from catalog.models import Event
    from catalog.services.import_writer import import_file

    def run(text: str) -> None:
        data = ("time,latitude,longitude,depth,mag,magType,place,id\n" + text).encode()
        with django_capture_on_commit_callbacks(execute=True):
            import_file(bureau=jx, fileobj=io.BytesIO(data), file_format="csv", size=len(data))

    run("2024-01-02T02:14:37Z,28.11,115.01,5,2.4,ML,江西宜春市上高县,ext-1\n")
    event = Event.objects.get(external_id="ext-1")
    actor = as_actor(jx_forecaster)
    assert [h.id for h in search_page(actor=actor, flt=search_filter(q="上高"), offset=0, limit=10)] == [
        event.pk
    ]
    run("2024-01-02T02:14:37Z,28.11,115.01,5,2.6,ML,江西九江市修水县,ext-1\n")  # the same quake, moved
    assert [h.id for h in search_page(actor=actor, flt=search_filter(q="修水"), offset=0, limit=10)] == [
        event.pk
    ]
    assert search_page(actor=actor, flt=search_filter(q="上高"), offset=0, limit=10) == []


def test_a_brief_compiled_again_is_searched_by_its_new_text(
    jx, jx_forecaster, as_actor, django_capture_on_commit_callbacks, monkeypatch
):
    """A refresh writes the brief with ``QuerySet.update`` (no save signal): the service
    reindexes it itself."""
    from trends.services import briefs

    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    monkeypatch.setattr(briefs, "brief_title", lambda **kwargs: "江西 日报 赣江")
    with django_capture_on_commit_callbacks(execute=True):
        brief, created = briefs.brief_compile_or_get(bureau=jx, kind="daily", period_end=end, push=False)
    assert created
    actor = as_actor(jx_forecaster)
    assert _found(actor, "赣江") == [("brief", brief.pk)]
    monkeypatch.setattr(briefs, "brief_title", lambda **kwargs: "江西 日报 抚河")
    with django_capture_on_commit_callbacks(execute=True):
        briefs.brief_compile_or_get(bureau=jx, kind="daily", period_end=end, refresh=True, push=False)
    assert _found(actor, "抚河") == [("brief", brief.pk)]
    assert _found(actor, "赣江") == []
