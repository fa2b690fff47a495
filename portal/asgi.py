"""One ASGI application for HTTP and websockets (served by daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402

from .websocket_urls import websocket_urlpatterns  # noqa: E402
from .ws_auth import DeferredAuthMiddlewareStack  # noqa: E402

# One cache client per server process. Django keeps its cache objects per context (an asgiref
# Local), and under ASGI every request and every websocket runs in a context of its own: each
# made its own RedisCache, with its own connection pool, so a new Redis connection (connect and
# client handshake) for every request and socket that read the cache or a session (issue 18:
# 200 people joining a room opened 200). Made here, in the context the server copies each
# request's and socket's context from, the one client is shared (redis-py's pool is
# thread-safe, and RedisCache keeps no state of a request).
for _alias in {"default", settings.SESSION_CACHE_ALIAS}:
    caches[_alias]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # the person is read in the consumer's own database call (portal/ws_auth.py)
        "websocket": AllowedHostsOriginValidator(
            DeferredAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
