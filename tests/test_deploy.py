"""Production settings pass Django's deployment checks; no secret lives in the repository."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for Playwright only
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="ispec.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "security.W" not in output, output


def test_the_demo_runs_with_debug_off():
    """`make run` (local settings) never shows Django's debug page; static files still come."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.local", PORTAL_READ_DOTENV="0")
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.WHITENOISE_USE_FINDERS)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True"], result.stderr


STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")


def test_every_static_file_a_template_names_exists():
    """The manifest storage of production fails a page (500) that names a missing file; the
    demo serves static files without a manifest, so the check is made here."""
    from django.contrib.staticfiles import finders

    templates = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    named = {(p.relative_to(ROOT), name) for p in templates for name in STATIC_TAG.findall(p.read_text())}
    assert len(named) > 10
    assert [(str(path), name) for path, name in sorted(named) if finders.find(name) is None] == []


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production", DJANGO_ALLOWED_HOSTS="x", PORTAL_READ_DOTENV="0"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_no_env_file_or_keys_are_committed():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".env" not in tracked
    assert not [name for name in tracked if name.endswith((".pem", ".key"))]
