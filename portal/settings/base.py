"""Settings shared by every profile. Values come from the environment (django-environ).

Profiles: ``local`` (default for manage.py), ``test`` (pytest) and ``production``;
production differs from local only by what the environment says.
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# .env (written by scripts/setup.sh, never committed) fills what the environment leaves unset.
if env.bool("PORTAL_READ_DOTENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"  # the portal's page, in the person's language
SITE_URL = env("PORTAL_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and websockets together
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "channels",
    "axes",
    "csp",
    "pgtrigger",  # the audit trail's append-only triggers (portal.AuditEvent, portal.AuditAnchor)
    "portal",
    "printing",  # the shared printing library, below the feature apps
    "catalog",
    "disciplines",
    "consultations",
    "products",
    "reports",
    "trends",
    "subscriptions",  # a person's own subscriptions (reads catalog events and reports)
    "postquake",
    # Last: an app listed earlier wins a msgid both translate (Django's catalog merge), and the
    # observations' generic words (closed, unit, channel) must not change the others' pages.
    "observations",
    # After observations: its demo (seed_demo calls the apps' demo modules in this order) runs
    # the demo rule over the demo series that the observations demo stores.
    "recognition",
    # After observations: its demo scores the demo channels, which the observations demo makes
    # (seed_demo runs the apps' demos in this order); its own words win no one else's page.
    "skill",
    # After every app whose data it shares (its demo makes datasets of what their demos hold):
    # the data supermarket, requests, grants and pushes between bureaus.
    "sharing",
    # The top layer: flows compose every other app's building blocks (its demo runs last).
    "flows",
    # Above flows: a zone's tracking plan names flows and product schedules, and its demo
    # links the demo anomalies and meetings (issue 17: annual danger zones).
    "zones",
]
# Apps whose urls.py / api_urls.py / routing.py plug into the portal's URLs and websockets.
PORTAL_FEATURE_APPS = [
    "disciplines",
    "catalog",
    "observations",
    "consultations",
    "products",
    "reports",
    "trends",
    "postquake",
    "recognition",
    "skill",
    "flows",
    "subscriptions",
    "sharing",
    "zones",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Near the top, so that every response (static files, refusals by later middleware) gets it.
    "portal.csp.PortalCSPMiddleware",
    # Before anything reads the session, the user or the bureau from the database.
    "portal.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.ActorMiddleware",
    # Logs the requests made with a personal API token, with their answer's status.
    "portal.tokens.TokenAccessLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # bjt / bjdate (portal.timefmt) show every time in Beijing time: built in, so no
            # template can forget to load them and fall back to |date.
            "builtins": ["portal.templatetags.portal_tags"],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgis://postgres@127.0.0.1:5432/ispec",
        engine="django.contrib.gis.db.backends.postgis",
    )
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# Issue 18 (speed), the `default` database (a replica, if any, takes these options: see its block below):
# a psycopg connection pool per process (Django 5.2, needs psycopg-pool). Opening a connection
# cost ~15 ms of every request (TLS-less loopback, PostGIS type lookups included) and Channels
# closes around each database call; with the pool a close hands it back instead. The pool
# keeps connections itself, so CONN_MAX_AGE must be 0 with it (Django refuses otherwise).
# Sizing: each process (a daphne, a Celery prefork child, beat, a manage.py command) holds at
# most DATABASE_POOL_MAX_SIZE. Under daphne each HTTP request runs on a thread of its own
# (portal/asgi_handler.py) and holds a connection only while it runs, so a process has at most
# that many requests at the database at once and the next waits up to the timeout. Budget: processes x max_size <= max_connections - superuser_reserved_connections
# - headroom for psql/migrations; e.g. 2 daphne + 4 workers + beat = 7 x 4 = 28 of 100.
# DATABASE_POOL=0 turns it off (then CONN_MAX_AGE applies as before).
if env.bool("DATABASE_POOL", default=True):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),  # s waiting for a free one
        "max_idle": 300.0,  # idle connections above min_size close after 5 minutes
    }
# Serial plans: on a small machine (2 shared cores) a parallel index scan made the FDSN query
# 2.3x slower (68 ms against 29 ms, bench/RESULTS.md, issue 18); set per connection, so a big
# database server can allow it again (DATABASE_PARALLEL_WORKERS=2, or "" for the server's own).
_parallel = env.str("DATABASE_PARALLEL_WORKERS", default="0")
# Floats as their shortest exact text (PostgreSQL's default, pinned here): the FDSN text
# writer prints them as the database wrote them instead of parsing and repr()-ing each one
# (catalog.formats.fdsn_text.float_text); a server set to extra_float_digits=0 would round
# them to 15 digits.
_options = ["-c extra_float_digits=1"]
if _parallel != "":
    _options.append(f"-c max_parallel_workers_per_gather={int(_parallel)}")
DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(_options)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins only (portal/auth.py): axes locks one username at one address;
# successes reset it and never count, so people behind one gateway do not lock each other out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "portal.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"  # Beijing time: how every date is shown; storage is UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("PORTAL_MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Media is never served as static files: views check the owner's visibility, then send the
# file (portal.files). With a prefix set, e.g. "/_protected/", they answer with
# X-Accel-Redirect to that nginx `internal` location and nginx sends the bytes.
PORTAL_FILES_ACCEL_REDIRECT = env("PORTAL_FILES_ACCEL_REDIRECT", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=f"{REDIS_URL}/3"),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="ispec"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Threads of a server process that run the live rooms' joins (consultations.consumers, issue
# 18): a few joins' queries in flight at once instead of one after another. Each holds one of
# the process's pooled connections during a join only; keep it below DATABASE_POOL_MAX_SIZE.
ROOM_JOIN_THREADS = env.int("ROOM_JOIN_THREADS", default=2)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # A consumer waits for its messages with BZPOPMIN of 5 s (channels_redis); redis-py's
            # default read timeout is 5 s as well, so under load the empty answer came late and
            # the socket was closed with 1011 (bench/scale/fanout.py). The read timeout must
            # stay well above the blocking pop.
            "hosts": [
                {
                    "address": env("CHANNELS_REDIS_URL", default=f"{REDIS_URL}/2"),
                    "socket_timeout": env.float("CHANNELS_REDIS_SOCKET_TIMEOUT", default=30.0),
                }
            ],
            "prefix": env("CHANNELS_PREFIX", default="ispec"),
        },
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=f"{REDIS_URL}/1")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_CACHE_BACKEND = "default"
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="ispec")
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The Redis broker keeps each message a worker took, unacknowledged, for visibility_timeout
# seconds; a worker that died (SIGKILL, a lost machine) never acknowledges, and any other
# worker puts the message back in the queue once that time has passed (checked every
# restore interval x throttle seconds). It must exceed the longest task (products.run: 900 s)
# and the longest countdown/ETA, or a task still running is handed to a second worker (the
# tasks are idempotent, so that costs time, not correctness). bench/scale/burst.py uses 30 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
# Broker connection lost (Redis restarted): a late-acknowledged task still running can no
# longer be acknowledged on that connection and is delivered again after the visibility
# timeout; stop it instead of finishing work that will be redone (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_TIME_LIMIT = 600  # default hard limit; tasks set their own (and soft limits) where they need
CELERY_TIMEZONE = TIME_ZONE
# A quake is an arrival (reports, meetings, pushes) while its origin time is at most this old:
# catalog.arrival.is_fresh, the one freshness rule for every source.
EVENT_FRESH_FOR = datetime.timedelta(hours=env.int("EVENT_FRESH_FOR_HOURS", default=72))
# The monthly trend report compares the month with the mean monthly count of this many years.
TREND_MEAN_YEARS = env.int("TREND_MEAN_YEARS", default=10)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A token first: its WWW-Authenticate header makes "not signed in" a 401, not a 403.
        # Personal tokens (portal.tokens: scoped, expiring, "Bearer ispat_..."), then the
        # sign-in token of POST /api/v1/auth/token/ (a password sign-in, like a session).
        "portal.token_auth.PersonalTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portal.apis_base.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.exceptions.api_exception_handler",
    # Failed token sign-ins per address (portal.auth.LoginFailureThrottle); successes are free.
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="10/min")},
    # Requests made with a personal token, per token (portal.tokens); others are not counted.
    "DEFAULT_THROTTLE_CLASSES": ["portal.token_auth.PersonalTokenThrottle"],
}
# Personal API tokens (portal.tokens): requests per minute of a token that names none, the
# most a token may name, the longest life, how many live tokens one person may hold, and how
# long (and how many rows per token) the log of their requests is kept.
PERSONAL_TOKEN_RATE_LIMIT = env.int("PERSONAL_TOKEN_RATE_LIMIT", default=120)
PERSONAL_TOKEN_RATE_LIMIT_MAX = env.int("PERSONAL_TOKEN_RATE_LIMIT_MAX", default=600)
PERSONAL_TOKEN_MAX_DAYS = env.int("PERSONAL_TOKEN_MAX_DAYS", default=366)
PERSONAL_TOKEN_MAX_PER_PERSON = env.int("PERSONAL_TOKEN_MAX_PER_PERSON", default=20)
PERSONAL_TOKEN_LOG_DAYS = env.int("PERSONAL_TOKEN_LOG_DAYS", default=90)
PERSONAL_TOKEN_LOG_ROWS = env.int("PERSONAL_TOKEN_LOG_ROWS", default=20_000)
SPECTACULAR_SETTINGS = {
    "TITLE": "ISPEC portal API",
    "DESCRIPTION": "Earthquake analysis and forecast consultation portal (地震分析会商).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",  # assets from drf-spectacular-sidecar: no CDN needed
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:...> (portal/converters.py): a bigint; larger numbers are 404 before any view.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}
    },
    # Choice sets whose field names (kind, level, state, action) other apps use too.
    "ENUM_NAME_OVERRIDES": {
        "DatasetKindEnum": "sharing.models.DatasetKind",
        "SharingLevelEnum": "sharing.models.Level",
        "DataRequestStateEnum": "sharing.models.DataRequest.State",
        "PushStateEnum": "sharing.models.Push.State",
        "DataRequestActionEnum": "sharing.services.request_workflow.PERSON_ACTIONS",
        "DangerZoneLevelEnum": "zones.models.ZoneLevel",
        "DangerZoneStatusEnum": "zones.models.DangerZone.Status",
        "TrackingReportStatusEnum": "zones.models.TrackingReport.Status",
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
# The HTTP gateway personal SMS notifications go through (POST {"to", "text"}); empty: no SMS.
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ispec-portal@localhost")

# Content-Security-Policy of every response (django-csp); portal.csp.PortalCSPMiddleware adds the
# websocket origin of the request's host to connect-src and the MAP_TILE_URL host to img-src.
# No inline script and no eval: page scripts are files under static/<app>/, data reaches them
# through json_script or data- attributes. tests/portal/test_csp.py holds the templates to it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # 'unsafe-inline' for styles only: templates carry style="" attributes and <style>
        # blocks (the printable report pages among them), map icons built as Leaflet divIcon
        # markup do too (static/reports/topic.js), and the Swagger UI page has a <style>.
        # Inline style cannot run script; Leaflet and Bootstrap set most styles through the
        # DOM, which CSP does not restrict either way.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],  # Leaflet and Swagger UI draw icons from data: URLs
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Map: no tiles by default (no internet); the basemap is drawn from shipped boundaries.
MAP_TILE_URL = env("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="")

SILENCED_SYSTEM_CHECKS = [
    # GeoDjango 5.2 asks for GDAL 3.9; Debian 12 ships 3.6.2, which does all we use.
    "gis.W001",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # its progress steps drown the useful lines
        "fontTools": {"level": "WARNING"},
    },
}

# Observation series (observations.series_*): the most values one read may return (413
# beyond), and the largest series file an import accepts.
SERIES_MAX_VALUES = env.int("SERIES_MAX_VALUES", default=600_000)
# Months of synthetic observation series the demo seeds (observations.series_demo); 0: none.
DEMO_SERIES_MONTHS = env.int("DEMO_SERIES_MONTHS", default=13)
SERIES_MAX_UPLOAD_BYTES = env.int("SERIES_MAX_UPLOAD_BYTES", default=256 * 1024 * 1024)

# A streaming read replica (issue 18, README "Scaling out"): with DATABASE_REPLICA_URL set, the
# FDSN service's and the report pages' reads go to it and everything else stays on the primary
# (portal/db_router.py: transactions, writes, a person's reads for some seconds after they wrote).
# Unset: one database, nothing routed. The replica takes the primary's options (pool, timeouts).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_PATHS = env.list("DATABASE_REPLICA_PATHS", default=["/fdsnws/", "/reports/", "/trends/"])
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {
        **DATABASES["default"],
        **{key: _replica[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT") if key in _replica},
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["portal.db_router.PrimaryReplicaRouter"]
    # Before the session and the user are read: they are reads of the request too.
    MIDDLEWARE.insert(1, "portal.db_router.ReplicaRoutingMiddleware")
