"""Who read what: a view of every report page is recorded once, with its channel; the readers
table on a report; the readers API's tenancy."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from consultations.models import ReportStatus
from portal.models import ReportView
from portal.readership import record_view, report_readers
from reports.models import TopicReport
from tests.factories import ConsultationReportFactory, EventFactory, MeetingFactory, TopicReportFactory

pytestmark = pytest.mark.django_db

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def jx_report(jx):
    return ConsultationReportFactory(meeting=MeetingFactory(bureau=jx, title="2026年10月月会商"), version=1)


@pytest.fixture
def jx_topic(jx):
    report = TopicReportFactory(
        event=EventFactory(bureau=jx, version=2),
        status=TopicReport.Status.READY,
        context={"towns": {"count": 0}, "history": {"count": 0}, "options": {"town_radius_km": 50}},
    )
    report.pdf.save("topic.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return report


def _views(**filters):
    return list(ReportView.objects.filter(**filters).values_list("user__username", "channel", "version"))


# --- recording ---------------------------------------------------------------------------------


def test_report_page_records_one_web_view(jx_report, jx_forecaster):
    response = _client(jx_forecaster).get(f"/consultations/reports/{jx_report.pk}/", HTTP_USER_AGENT=DESKTOP)

    assert response.status_code == 200
    assert _views(report_kind="consultation_report", report_id=jx_report.pk) == [("jx_forecaster", "web", 1)]
    assert ReportView.objects.get().bureau_id == jx_report.bureau_id


def test_phone_page_on_a_phone_records_a_phone_view(jx_report, jx_forecaster):
    response = _client(jx_forecaster).get(
        f"/consultations/reports/{jx_report.pk}/read/", HTTP_USER_AGENT=IPHONE
    )

    assert response.status_code == 200
    assert _views(report_id=jx_report.pk) == [("jx_forecaster", "phone", 1)]


def test_client_hint_says_phone(jx_report, jx_forecaster):
    _client(jx_forecaster).get(f"/consultations/reports/{jx_report.pk}/", HTTP_SEC_CH_UA_MOBILE="?1")

    assert _views(report_id=jx_report.pk) == [("jx_forecaster", "phone", 1)]


def test_pdf_is_recorded_once_served_not_while_it_is_being_prepared(
    jx_report, jx_forecaster, django_capture_on_commit_callbacks
):
    client = _client(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        pending = client.get(f"/consultations/reports/{jx_report.pk}/pdf/")
    assert pending.status_code == 202
    assert _views() == []

    served = client.get(f"/consultations/reports/{jx_report.pk}/pdf/", HTTP_USER_AGENT=IPHONE)

    assert served.status_code == 200
    assert _views(report_id=jx_report.pk) == [("jx_forecaster", "pdf", 1)]


def test_nothing_is_recorded_for_a_404_or_a_403(jx_report, nm_forecaster, outsider):
    assert _client(nm_forecaster).get(f"/consultations/reports/{jx_report.pk}/").status_code == 404
    assert _client(nm_forecaster).get(f"/consultations/reports/{jx_report.pk}/read/").status_code == 404
    assert _client(outsider).get(f"/consultations/reports/{jx_report.pk}/").status_code == 403

    assert ReportView.objects.count() == 0


def test_topic_report_pages_record_their_channel_and_event_version(jx_topic, jx_forecaster, nm_forecaster):
    client = _client(jx_forecaster)
    assert client.get(f"/reports/topic/{jx_topic.pk}/").status_code == 200
    assert client.get(f"/reports/topic/{jx_topic.pk}/report/", HTTP_USER_AGENT=IPHONE).status_code == 200
    assert client.get(f"/reports/topic/{jx_topic.pk}/pdf/").status_code == 200
    assert _client(nm_forecaster).get(f"/reports/topic/{jx_topic.pk}/").status_code == 404

    assert sorted(_views(report_kind="topic_report", report_id=jx_topic.pk)) == [
        ("jx_forecaster", "pdf", 2),
        ("jx_forecaster", "phone", 2),
        ("jx_forecaster", "web", 2),
    ]


def test_a_failing_insert_does_not_fail_the_caller(jx_report, jx_forecaster, rf):
    request = rf.get("/")
    request.user = jx_forecaster

    record_view(request=request, report_kind="x" * 40, report_id=jx_report.pk, bureau_id=jx_report.bureau_id)

    assert ReportView.objects.count() == 0


# --- who read it -----------------------------------------------------------------------------


def _read(user, report, *, channel="web", version=1, kind="consultation_report"):
    return ReportView.objects.create(
        user=user,
        bureau_id=report.bureau_id,
        report_kind=kind,
        report_id=report.pk,
        version=version,
        channel=channel,
        viewed_at=timezone.now(),
    )


def test_readers_lists_recipients_who_read_and_who_did_not(
    jx_report, jx_forecaster, jx_approver, jx_viewer, jx_reporter, jx_admin, as_actor
):
    _read(jx_forecaster, jx_report)
    _read(jx_forecaster, jx_report, channel="pdf")

    readers = report_readers(
        actor=as_actor(jx_admin),
        report_kind="consultation_report",
        report_id=jx_report.pk,
        bureau=jx_report.bureau,
    )

    by_name = {r.name: r for r in readers.recipients}
    assert set(by_name) == {"jx_forecaster", "jx_approver", "jx_viewer", "赣管理员"}  # not the reporter
    assert (readers.read, readers.total) == (1, 4)
    assert by_name["jx_forecaster"].count == 2
    assert by_name["jx_forecaster"].channels == ("PDF", "网页")
    assert by_name["jx_approver"].count == 0
    assert readers.recipients[0].name == "jx_forecaster"  # readers first
    assert readers.others == []


def test_a_person_with_two_roles_is_one_recipient(jx_report, jx_chair, as_actor):
    readers = report_readers(
        actor=as_actor(jx_chair),
        report_kind="consultation_report",
        report_id=jx_report.pk,
        bureau=jx_report.bureau,
    )

    assert [r.name for r in readers.recipients] == ["jx_chair"]
    assert len(readers.recipients[0].roles) == 2


def test_national_readers_are_listed_apart_and_see_nothing_of_it(
    jx_report, jx_forecaster, cenc_forecaster, as_actor
):
    _read(cenc_forecaster, jx_report)

    mine = report_readers(
        actor=as_actor(jx_forecaster),
        report_kind="consultation_report",
        report_id=jx_report.pk,
        bureau=jx_report.bureau,
    )
    theirs = report_readers(
        actor=as_actor(cenc_forecaster),
        report_kind="consultation_report",
        report_id=jx_report.pk,
        bureau=jx_report.bureau,
    )

    assert [(r.name, r.bureau_code, r.count) for r in mine.others] == [("cenc_forecaster", "CENC", 1)]
    assert theirs is None


def test_readers_show_the_versions_read(jx_report, jx_forecaster, jx_approver, as_actor):
    correction = ConsultationReportFactory(meeting=jx_report.meeting, version=2, corrects=jx_report)
    _read(jx_forecaster, jx_report, version=1)
    _read(jx_approver, jx_report, version=1)
    _read(jx_approver, correction, version=2)

    readers = report_readers(
        actor=as_actor(jx_forecaster),
        report_kind="consultation_report",
        report_id=correction.pk,
        bureau=jx_report.bureau,
        version_ids=[jx_report.pk, correction.pk],
    )

    by_name = {r.name: r for r in readers.recipients}
    assert (by_name["jx_forecaster"].versions, by_name["jx_forecaster"].last_version) == ((1,), 1)
    assert (by_name["jx_approver"].versions, by_name["jx_approver"].last_version) == ((1, 2), 2)


def test_report_page_shows_the_readers_table_with_this_reading(jx_report, jx_forecaster, jx_approver):
    _read(jx_approver, jx_report)

    page = _client(jx_forecaster).get(f"/consultations/reports/{jx_report.pk}/").content.decode()

    assert 'data-readers="consultation_report:' in page
    assert 'data-read="2" data-total="2"' in page  # the approver, and the forecaster now
    assert "已读 2/2" in page


def test_topic_report_page_shows_the_readers_table(jx_topic, jx_forecaster):
    page = _client(jx_forecaster).get(f"/reports/topic/{jx_topic.pk}/").content.decode()

    assert f'data-readers="topic_report:{jx_topic.pk}"' in page
    assert 'data-read="1" data-total="1"' in page


def test_issued_report_page_shows_no_readers_to_a_national_unit(jx_report, cenc_forecaster):
    ReportView.objects.all().delete()
    type(jx_report).objects.filter(pk=jx_report.pk).update(status=ReportStatus.ISSUED)

    response = _client(cenc_forecaster).get(f"/consultations/reports/{jx_report.pk}/")

    assert response.status_code == 200
    assert "data-readers" not in response.content.decode()
    assert _views(report_id=jx_report.pk) == [("cenc_forecaster", "web", 1)]


# --- the readers API ---------------------------------------------------------------------------


def test_readers_api_answers_the_bureau(api, jx_report, jx_forecaster, jx_approver):
    _read(jx_approver, jx_report, channel="phone")

    response = api(jx_forecaster).get(
        "/api/v1/report-views/", {"report_kind": "consultation_report", "report_id": jx_report.pk}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["read"], body["total"]) == (1, 2)
    assert [(r["name"], r["count"]) for r in body["recipients"]] == [("jx_approver", 1), ("jx_forecaster", 0)]


def test_readers_api_is_404_for_another_bureau(api, jx_report, nm_forecaster, cenc_forecaster):
    query = {"report_kind": "consultation_report", "report_id": jx_report.pk}
    assert api(nm_forecaster).get("/api/v1/report-views/", query).status_code == 404
    type(jx_report).objects.filter(pk=jx_report.pk).update(status=ReportStatus.ISSUED)
    # the centre reads the issued report, but not who in Jiangxi read it
    assert api(cenc_forecaster).get("/api/v1/report-views/", query).status_code == 404


def test_readers_api_refuses_an_unknown_kind(api, jx_report, jx_forecaster):
    response = api(jx_forecaster).get(
        "/api/v1/report-views/", {"report_kind": "nope", "report_id": jx_report.pk}
    )

    assert response.status_code == 400
    assert "report_kind" in response.json()["errors"]


def test_verification_report_page_records_a_view(jx, jx_expert, nm_forecaster):
    from disciplines.models import VerificationReport
    from tests.factories import AnomalyFactory

    anomaly = AnomalyFactory(bureau=jx)
    verification = VerificationReport.objects.create(
        anomaly=anomaly, bureau=jx, verifier=jx_expert, analysis="排除干扰", submitted_at=timezone.now()
    )
    url = f"/disciplines/anomalies/{anomaly.pk}/verification.pdf?html=1"

    assert _client(nm_forecaster).get(url).status_code == 404
    assert _client(jx_expert).get(url, HTTP_USER_AGENT=IPHONE).status_code == 200

    assert _views(report_kind="verification", report_id=verification.pk) == [("jx_expert", "phone", 1)]


def test_a_head_request_reads_nothing(jx_report, jx_forecaster):
    assert _client(jx_forecaster).head(f"/consultations/reports/{jx_report.pk}/read/").status_code == 200

    assert ReportView.objects.count() == 0
