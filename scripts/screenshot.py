"""Screenshots for the README, taken from a running portal (`make run`) with Debian's Chromium.

Usage: .venv/bin/python scripts/screenshot.py [http://127.0.0.1:8000] [username] [password]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
USER = sys.argv[2] if len(sys.argv) > 2 else "jx_admin"
PASSWORD = sys.argv[3] if len(sys.argv) > 3 else "ispec-demo-2026"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ONLY = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else set()  # names to take again
PAGES = [
    ("dashboard-zh", "/", {"width": 1280, "height": 860}),
    ("dashboard-zh-phone", "/", {"width": 390, "height": 844}),
    ("events-zh", "/events/", {"width": 1280, "height": 860}),
    ("meeting-zh", "/consultations/meetings/3/", {"width": 1280, "height": 860}),
    ("matrix-zh", "/disciplines/matrix/", {"width": 1280, "height": 860}),
    ("product-zh", "/products/runs/2/", {"width": 1280, "height": 860}),
    ("topic-report-zh-phone", "/reports/topic/2/", {"width": 390, "height": 844}),
    ("search-zh", "/search/?q=九江+水位", {"width": 1280, "height": 860}),
    ("zone-zh", "/zones/1/", {"width": 1280, "height": 860}),
    ("sharing-zh", "/sharing/", {"width": 1280, "height": 860}),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        for name, path, viewport in PAGES:
            if ONLY and name not in ONLY:
                continue
            context = browser.new_context(base_url=BASE, locale="zh-CN", viewport=viewport)
            page = context.new_page()
            page.goto("/login/")
            page.fill("#id_username", USER)
            page.fill("#id_password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(f"{BASE}/")
            page.goto(path)
            page.wait_for_timeout(1500)  # let the map draw its outlines
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(OUT / f"{name}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
