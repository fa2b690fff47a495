"""pytest: fast hashing, e-mail kept in memory, Celery eager unless a test starts a worker.

Redis keys, channel groups and the Celery queue carry a per-run prefix so that
test runs side by side (and a running demo) never see each other's messages.
Subprocesses started by the tests (daphne, a Celery worker) receive the same
values through the environment.
"""

import os
import uuid

from .base import *
from .base import CACHES, CHANNEL_LAYERS, DATABASES, MIDDLEWARE, env

DEBUG = False
RUN_ID = env("PORTAL_TEST_RUN_ID", default=f"t{os.getpid()}-{uuid.uuid4().hex[:6]}")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = f"ispec-{RUN_ID}"
CACHES["default"]["KEY_PREFIX"] = f"ispec-{RUN_ID}"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"ispec-{RUN_ID}"
# Throwaway uploads of one test run (its own RUN_ID directory); never a deployment setting.
MEDIA_ROOT = Path(env("PORTAL_MEDIA_ROOT", default=f"/tmp/ispec-test-media/{RUN_ID}"))  # noqa: S108
WHITENOISE_USE_FINDERS = True
AXES_FAILURE_LIMIT = 3
# Transactional tests empty every table after them (``flush``), the append-only audit trail
# too: the one place its TRUNCATE trigger is lifted (portal/management/commands/flush.py).
AUDIT_ALLOW_FLUSH = True
HEALTH_CELERY_TIMEOUT = 1.0
# The tests that seed the demo (the crawl among them) get two months of series, which is
# what they read; the whole 13 months and their QC are measured in bench/qc_bench.py.
DEMO_SERIES_MONTHS = env.int("DEMO_SERIES_MONTHS", default=2)
# The replica alias as a mirror of the test database (tests/portal/test_db_router.py turns the
# router on for its tests only); other tests never route, whatever the environment says.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS: list[str] = []
MIDDLEWARE = [name for name in MIDDLEWARE if name != "portal.db_router.ReplicaRoutingMiddleware"]
# ... and by DELETE of the tables a test filled, not one TRUNCATE of every table: the same
# empty database in ~0.1 s instead of ~3.5 s after each transactional test (the flush command).
FLUSH_FILLED_TABLES_ONLY = True
