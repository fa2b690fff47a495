"""Uploaded and generated files: checked by content on the way in, stored under generated
names, and served only through views that apply their owner's visibility (never /media/)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog.services.events import Solution, event_record_solution
from catalog.services.imports import event_import_create
from consultations.models import MeetingMaterial, RoomEvent
from consultations.services import meetings as meeting_services
from consultations.services import opinions as opinion_services
from consultations.services import room as room_services
from disciplines.services.anomalies import anomaly_report
from portal import links, uploads
from portal.exceptions import InvalidInput
from portal.models import Discipline
from printing.rendering import url_fetcher
from products.services.execution import run_directory
from reports.services import gis_layers as gis_layer_services
from reports.services import topic_reports as topic_report_services
from tests.factories import MeetingMaterialFactory, ProductRunFactory

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
CSV = b"time,latitude,longitude,depth,mag\n2024-03-01T00:00:00,28.0,115.0,10,3.1\n"
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "上高二中"},
            "geometry": {"type": "Point", "coordinates": [114.93, 28.23]},
        }
    ],
}
STORED = re.compile(r"^(?P<kind>[a-z]+)/(?P<bureau>\d+)/(?P<year>\d{4})/[0-9a-f]{32}\.(?P<ext>[a-z]+)$")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- the files of each kind, made through the services -----------------------------------


@pytest.fixture
def product_figure(jx):
    """A run's PNG figure; runs are never published, so only its bureau reads it."""
    run = ProductRunFactory(bureau=jx, status="succeeded", figures=["bvalue.png"])
    directory = run_directory(jx.pk, run.pk)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bvalue.png").write_bytes(png_bytes())
    return reverse("products:run-figure", args=[run.pk, "bvalue.png"])


@pytest.fixture
def topic_report(jx):
    """A ready special-topic report of JX with its PDF and epicentre map."""
    event, _created, _changed = event_record_solution(
        bureau=jx,
        solution=Solution(
            origin_time=timezone.now() - dt.timedelta(minutes=5),
            latitude=28.11,
            longitude=115.01,
            depth_km=5.0,
            magnitude=4.1,
            location_name="江西宜春市上高县",
            source="江西省地震台网",
            status="reviewed",
            report_kind="formal",
        ),
        data_origin="quick_report",
        publish=False,
    )
    report = topic_report_services.topic_report_queue(bureau=jx, event=event, trigger="test", build=False)
    if report is None:  # the arrival hook queued it already
        report = event.topic_reports.get(bureau=jx)
    report = topic_report_services.topic_report_start(report=report)
    return topic_report_services.topic_report_finish(
        report=report, content={}, pdf=PDF, maps={"epicentre": png_bytes()}, timings={}, push=False
    )


@pytest.fixture
def material(jx_chair, as_actor):
    meeting = meeting_services.meeting_create(
        actor=as_actor(jx_chair),
        kind="monthly",
        title="2026年12月月会商",
        starts_at=timezone.now() + dt.timedelta(hours=1),
    )
    return meeting_services.material_attach(
        actor=as_actor(jx_chair),
        meeting=meeting,
        kind="file",
        title="井水位图",
        file=upload("../../etc/井水位\u202egnp.exe.png", png_bytes(), "image/png"),
    )


@pytest.fixture
def import_record(jx_forecaster, as_actor):
    """An import kept from publication: its original file is the bureau's working material."""
    return event_import_create(
        actor=as_actor(jx_forecaster), upload=upload("events.csv", CSV, "text/csv"), publish=False
    )


@pytest.fixture
def attachment(jx_expert, as_actor, disciplines):
    anomaly = anomaly_report(
        actor=as_actor(jx_expert),
        discipline=Discipline.objects.get(code="fluid"),
        observation_item="水位",
        onset_at=timezone.now() - dt.timedelta(hours=3),
        description="水位突升",
        station="上高井",
        files=[upload("well.png", png_bytes(), "image/png")],
    )
    return anomaly.attachments.get()


@pytest.fixture
def gis_layer(jx_forecaster, as_actor):
    return gis_layer_services.gis_layer_upload(
        actor=as_actor(jx_forecaster),
        name="学校",
        kind="school",
        content=json.dumps(GEOJSON).encode(),
        filename="schools.geojson",
    )


@pytest.fixture
def file_urls(product_figure, topic_report, material, import_record, attachment, gis_layer):
    return {
        "product figure": product_figure,
        "topic report PDF": reverse("reports:topic-pdf", args=[topic_report.pk]),
        "topic report map": reverse("reports:topic-map", args=[topic_report.pk, "epicentre"]),
        "meeting material": reverse("consultations:material-file", args=[material.pk]),
        "import original": reverse("catalog:import-file", args=[import_record.pk]),
        "anomaly attachment": reverse("disciplines:attachment", args=[attachment.pk]),
        "GIS layer": reverse("reports:layer-geojson", args=[gis_layer.pk]),
    }


KINDS = [
    "product figure",
    "topic report PDF",
    "topic report map",
    "meeting material",
    "import original",
    "anomaly attachment",
    "GIS layer",
]
# Who of the JX bureau reads each kind (the owner side of the matrix).
OWNER = {
    "product figure": "jx_forecaster",
    "topic report PDF": "jx_forecaster",
    "topic report map": "jx_forecaster",
    "meeting material": "jx_chair",
    "import original": "jx_forecaster",
    "anomaly attachment": "jx_expert",
    "GIS layer": "jx_forecaster",
}


@pytest.mark.parametrize("kind", KINDS)
def test_anonymous_is_sent_to_sign_in_for_every_kind_of_file(client, file_urls, kind):
    response = client.get(file_urls[kind])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("kind", KINDS)
def test_another_bureau_gets_404_for_every_kind_of_file(client, file_urls, nm_forecaster, kind):
    client.force_login(nm_forecaster)
    assert client.get(file_urls[kind]).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_the_owning_bureau_reads_every_kind_of_file(client, request, file_urls, kind):
    client.force_login(request.getfixturevalue(OWNER[kind]))
    response = client.get(file_urls[kind])
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")


def test_nothing_is_served_under_media(client, jx_forecaster, material, import_record):
    """The files exist on disk, but /media/ is no URL of the portal, signed in or not."""
    client.force_login(jx_forecaster)
    for name in (material.file.name, import_record.file.name):
        assert client.get("/media/" + name).status_code == 404


def test_no_static_media_handler_even_with_debug_on(settings):
    """`make run` serves with DEBUG on: media must not get a static handler there either."""
    import importlib

    from django.urls import Resolver404, clear_url_caches, resolve

    import portal.urls

    settings.DEBUG = True
    try:
        clear_url_caches()
        importlib.reload(portal.urls)
        with pytest.raises(Resolver404):
            resolve("/media/materials/1/2026/0123456789abcdef0123456789abcdef.png")
    finally:
        settings.DEBUG = False
        importlib.reload(portal.urls)
        clear_url_caches()


# --- stored names ------------------------------------------------------------------------------


def test_uploads_are_stored_under_generated_names_with_the_bureau(material, import_record, attachment, jx):
    for stored, kind, ext in (
        (material.file.name, "materials", "png"),
        (import_record.file.name, "imports", "csv"),
        (attachment.file.name, "attachments", "png"),
    ):
        match = STORED.match(stored)
        assert match is not None, stored
        assert (match["kind"], int(match["bureau"]), match["ext"]) == (kind, jx.pk, ext)
        assert match["year"] == f"{timezone.now():%Y}"


def test_the_uploaders_name_is_only_display_metadata_and_is_sanitised(material, import_record):
    assert "井水位" not in material.file.name
    assert import_record.filename == "events.csv"
    # the directory part and the right-to-left override (which disguises "exe.png") are gone
    assert uploads.display_name("../../etc/井水位\u202egnp.exe.png") == "井水位 gnp.exe.png"
    assert uploads.display_name("C:\\Users\\x\\报告.pdf") == "报告.pdf"
    assert uploads.display_name("\x00\n") == "file"


# --- refusing what is not what it says ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("evil.html", HTML),
        ("evil.svg", SVG),
        ("evil.js", b"alert(1)"),
        ("evil.png", HTML),  # HTML renamed .png
        ("evil.pdf", HTML),
        ("evil.txt", HTML),
        ("evil.docx", b"PK\x03\x04" + HTML),  # a zip signature, not an Office file
    ],
)
def test_script_carrying_uploads_are_refused_naming_the_file_and_the_accepted_types(name, content):
    with pytest.raises(InvalidInput) as refused:
        uploads.check_upload(
            upload(name, content), allowed=uploads.DOCUMENTS, field="file", max_bytes=10 * 2**20
        )
    assert name in refused.value.message
    assert "PNG" in refused.value.message
    assert "PDF" in refused.value.message
    assert refused.value.field == "file"


@pytest.mark.parametrize(
    ("name", "content", "ext", "content_type"),
    [
        ("photo.PNG", png_bytes(), "png", "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg", "image/jpeg"),
        ("report.pdf", PDF, "pdf", "application/pdf"),
        ("events.tsv", CSV, "csv", "text/csv"),
        ("catalog.qml", b"<?xml version='1.0'?><q:quakeml xmlns:q='x'/>", "xml", "application/xml"),
        ("layer.json", json.dumps(GEOJSON).encode(), "geojson", "application/geo+json"),
    ],
)
def test_files_whose_content_matches_their_name_are_accepted(name, content, ext, content_type):
    checked = uploads.check_upload(
        upload(name, content),
        allowed=(*uploads.DOCUMENTS, "xml", "geojson"),
        field="file",
        max_bytes=10 * 2**20,
    )
    assert (checked.type.ext, checked.content_type, checked.display_name) == (ext, content_type, name)


def test_office_files_are_checked_as_zips_with_their_parts():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    docx = buffer.getvalue()
    allowed = ("docx", "xlsx")
    assert (
        uploads.check_upload(upload("a.docx", docx), allowed=allowed, field="f", max_bytes=2**20).type.ext
        == "docx"
    )
    with pytest.raises(InvalidInput):
        uploads.check_upload(upload("a.xlsx", docx), allowed=allowed, field="f", max_bytes=2**20)


def test_material_api_refuses_html_renamed_png_with_400(api, jx_chair, material):
    response = api(jx_chair).post(
        f"/api/v1/consultations/meetings/{material.meeting_id}/materials/",
        {"kind": "file", "title": "图", "file": upload("chart.png", HTML, "image/png")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "chart.png" in response.json()["detail"]
    assert "accepted: CSV, DOCX, GIF, JPG, PDF, PNG, PPTX, TXT, WEBP, XLSX" in response.json()["detail"]
    assert list(MeetingMaterial.objects.values_list("title", flat=True)) == ["井水位图"]


def test_material_page_refuses_an_svg_and_says_why(client, jx_chair, material):
    client.force_login(jx_chair)
    response = client.post(
        reverse("consultations:material-add", args=[material.meeting_id]),
        {"kind": "file", "title": "图", "file": upload("chart.svg", SVG, "image/svg+xml")},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "chart.svg is not an accepted file type" in response.content.decode()
    assert MeetingMaterial.objects.count() == 1


def test_catalog_import_refuses_html_renamed_csv(api, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/events/imports/",
        {"file": upload("events.csv", HTML, "text/csv")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "events.csv does not contain what its name says (CSV)" in response.json()["detail"]


def test_gis_layer_refuses_html_renamed_geojson(api, jx_forecaster):
    response = api(jx_forecaster).post(
        "/api/v1/gis-layers/",
        {"name": "x", "kind": "school", "file": upload("layer.geojson", HTML)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "layer.geojson does not contain what its name says (GEOJSON)" in response.json()["detail"]


def test_zero_report_csv_import_refuses_an_html_file(api, jx_admin):
    response = api(jx_admin).post(
        "/api/v1/zero-reports/import/",
        {"file": upload("reports.html", HTML, "text/html")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "reports.html is not an accepted file type; accepted: CSV, TXT." in response.json()["detail"]


def test_jurisdiction_upload_refuses_an_html_file(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(
        reverse("bureau-admin-new"),
        {
            "code": "ZZ",
            "name_zh": "测试局",
            "name_en": "Test",
            "kind": "provincial",
            "is_active": "on",
            "jurisdiction_file": upload("area.geojson", HTML),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "area.geojson does not contain what its name says (GEOJSON)" in response.content.decode()


# --- how files are served ----------------------------------------------------------------------


def test_a_real_png_is_served_inline_with_nosniff(client, jx_chair, material):
    client.force_login(jx_chair)
    response = client.get(reverse("consultations:material-file", args=[material.pk]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert response["Content-Disposition"].startswith("inline;")
    assert b"".join(response.streaming_content) == png_bytes()


def test_a_pdf_is_served_inline(client, jx_forecaster, topic_report):
    client.force_login(jx_forecaster)
    response = client.get(reverse("reports:topic-pdf", args=[topic_report.pk]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
    assert response["Content-Disposition"].startswith("inline;")


def test_a_csv_original_is_an_attachment(client, jx_forecaster, import_record):
    client.force_login(jx_forecaster)
    response = client.get(reverse("catalog:import-file", args=[import_record.pk]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("text/csv", "nosniff")
    assert response["Content-Disposition"] == 'attachment; filename="events.csv"'
    assert b"".join(response.streaming_content) == CSV


def test_a_geojson_layer_is_an_attachment(client, jx_forecaster, gis_layer):
    client.force_login(jx_forecaster)
    response = client.get(reverse("reports:layer-geojson", args=[gis_layer.pk]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == (
        "application/geo+json",
        "nosniff",
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["features"][0]["properties"]["_name"] == "上高二中"


def test_an_svg_figure_is_an_attachment(client, jx, jx_forecaster):
    run = ProductRunFactory(bureau=jx, status="succeeded", figures=["bvalue.svg"])
    directory = run_directory(jx.pk, run.pk)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bvalue.svg").write_bytes(SVG)
    client.force_login(jx_forecaster)
    response = client.get(reverse("products:run-figure", args=[run.pk, "bvalue.svg"]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("image/svg+xml", "nosniff")
    assert response["Content-Disposition"] == f'attachment; filename="bvalue-{run.pk}.svg"'


def test_behind_nginx_the_view_answers_with_x_accel_redirect(client, settings, jx_chair, material):
    settings.PORTAL_FILES_ACCEL_REDIRECT = "/_protected/"
    client.force_login(jx_chair)
    response = client.get(reverse("consultations:material-file", args=[material.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/" + material.file.name
    assert response.content == b""
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert response["Content-Disposition"].startswith("inline;")


def test_the_api_links_files_to_the_views_not_to_media(api, jx_chair, jx_forecaster, material, import_record):
    meeting = api(jx_chair).get(f"/api/v1/consultations/meetings/{material.meeting_id}/").json()
    assert [m["url"] for m in meeting["materials"]] == [
        reverse("consultations:material-file", args=[material.pk])
    ]
    status = api(jx_forecaster).get(f"/api/v1/events/imports/{import_record.pk}/").json()
    assert status["file_url"] == reverse("catalog:import-file", args=[import_record.pk])


def test_pdf_rendering_still_reads_media_files_from_disk(material):
    content, mime = url_fetcher("/media/" + material.file.name)
    assert (content, mime) == (png_bytes(), "image/png")


# --- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/\\evil.example/x",
        "http:/no-host",
        "ftp://files.example/x",
    ],
)
def test_links_other_than_http_and_https_are_refused(url):
    assert links.is_safe_link(url) is False
    with pytest.raises(InvalidInput):
        links.check_link(url, field="url")


@pytest.mark.parametrize(
    "url", ["https://www.cea.gov.cn/x?a=1", "http://10.0.0.5/report.pdf", "/consultations/archive/"]
)
def test_http_https_and_portal_links_are_accepted(url):
    assert links.check_link(url, field="url") == url


def test_material_api_refuses_a_javascript_link_with_400(api, jx_chair, material):
    response = api(jx_chair).post(
        f"/api/v1/consultations/meetings/{material.meeting_id}/materials/",
        {"kind": "file", "title": "链接", "url": "javascript:alert(document.cookie)"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "url": ["A link must start with http:// or https:// (or be a page of the portal, /...)."]
    }
    assert MeetingMaterial.objects.count() == 1


def test_opinion_refuses_a_javascript_link_to_an_anomaly(jx_chair, jx_expert, as_actor, material):
    meeting_services.meeting_open(actor=as_actor(jx_chair), meeting=material.meeting)
    with pytest.raises(InvalidInput) as refused:
        opinion_services.opinion_submit(
            actor=as_actor(jx_expert),
            meeting=material.meeting,
            discipline="fluid",
            summary="水位",
            anomalies_cited=[{"title": "井", "url": "javascript:alert(1)"}],
        )
    assert refused.value.field == "anomalies_cited"


def test_a_stored_javascript_link_is_never_put_into_href(client, api, jx_chair, material):
    """Rows stored before links were checked: the page, the API and the room show no link."""
    bad = MeetingMaterialFactory(
        meeting=material.meeting, title="旧链接", url="javascript:alert(document.cookie)"
    )
    RoomEvent.objects.create(
        meeting=material.meeting, seq=99, kind="material", payload={"title": "旧", "url": bad.url}
    )
    client.force_login(jx_chair)
    page = client.get(material.meeting.get_absolute_url()).content.decode()
    assert "javascript:" not in page
    assert "旧链接" in page
    detail = api(jx_chair).get(f"/api/v1/consultations/meetings/{material.meeting_id}/").json()
    assert [m["url"] for m in detail["materials"] if m["title"] == "旧链接"] == [""]
    event = RoomEvent.objects.get(seq=99)
    assert room_services.room_event_message(event)["payload"]["url"] == ""


def test_files_leave_only_through_serve_file():
    """No view sends a file itself, and nothing emits a storage URL or a /media/ path."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    apps = ("portal", "catalog", "consultations", "disciplines", "products", "reports")
    sources = [p for app in apps for p in (root / app).rglob("*.py") if "migrations" not in p.parts]
    sources += list((root / "templates").rglob("*.html")) + list((root / "static").rglob("*.js"))
    offenders = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if path.name != "files.py" and "FileResponse(" in text:
            offenders.append(f"{path.relative_to(root)}: FileResponse")
        # settings define MEDIA_URL; the PDF renderer maps it to files on disk, never to a URL
        if path.relative_to(root).as_posix() in ("portal/settings/base.py", "reports/rendering.py"):
            continue
        if re.search(r"\.(file|pdf)\.url\b|MEDIA_URL|[\"']/media/", text):
            offenders.append(f"{path.relative_to(root)}: storage URL")
    assert offenders == []
