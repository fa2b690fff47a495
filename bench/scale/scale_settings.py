"""Settings of the scale-out benchmarks: the production profile, with two differences that
only the benchmark needs: static files collected without the hashed manifest (so no
compression step before each run; nginx serves them from ``PORTAL_STATIC_ROOT``) and the
HTTPS redirect left to the environment (the loopback load is plain HTTP; the TLS port of
the benchmark's nginx shows ``X-Forwarded-Proto`` at work).
"""

from portal.settings.production import *  # noqa: F403
from portal.settings.production import env

STATIC_ROOT = env("PORTAL_STATIC_ROOT", default="/tmp/ispec-scale-static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
