"""The shared report renderer: HTML, PDF with Chinese text, and a fetcher that stays home."""

from __future__ import annotations

import subprocess

import pytest

from printing.maps import MapLayer, draw_map, extent_around
from printing.rendering import RenderError, png_data_uri, render_html, render_pdf, url_fetcher


def test_pdf_renders_chinese_text(tmp_path, settings):
    pdf = render_pdf(
        "printing/test_sample.html", {"title": "江西省地震局 震情通报", "rows": [("上高县", "2.4")]}
    )
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "江西省地震局" in text
    assert "上高县" in text


def test_html_is_phone_friendly():
    html = render_html("printing/test_sample.html", {"title": "T", "rows": []})
    assert 'name="viewport"' in html
    assert "@page" not in html


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest", "file:///etc/passwd", "https://example.com/x.png"]
)
def test_fetcher_refuses_other_addresses(url):
    with pytest.raises(RenderError):
        url_fetcher(url)


def test_fetcher_serves_our_static_files():
    data, mime = url_fetcher("http://portal.invalid/static/portal/portal.css")
    assert b"--ispec" in data
    assert mime == "text/css"


def test_pdf_embeds_a_static_image_and_skips_a_foreign_one():
    pdf = render_pdf(
        "printing/test_sample.html",
        {
            "title": "x",
            "rows": [],
            "images": ["/static/vendor/leaflet/images/marker-icon.png", "http://10.0.0.1/x.png"],
        },
    )
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf


def test_static_map_is_a_png_with_the_epicentre():
    extent = extent_around(115.01, 28.11, 200)
    layer = MapLayer(
        points=[{"lon": 115.01, "lat": 28.11, "marker": "*", "size": 200, "label": "M2.4"}],
        circles_km=[{"lon": 115.01, "lat": 28.11, "radius_km": 50}],
    )
    png = draw_map(extent=extent, layer=layer, title="震中位置图", highlight=["JX"])
    assert png.startswith(b"\x89PNG")
    assert png_data_uri(png).startswith("data:image/png;base64,")
