"""One ASGI application for HTTP and websockets (served by daphne)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

from .asgi_handler import application as http_application

# Django's ASGI handler, serving each request in one call on a kept thread (portal/asgi_handler.py)
django_asgi_app = http_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402

from .search_text import warm_in_background  # noqa: E402
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

# The cyclic garbage collector, for a server holding thousands of sockets (issue 18,
# bench/scale/fanout.py). A full collection walks every tracked object: in a daphne holding
# 2,500 sockets, some 600,000, for 0.7-1 s during which none of its sockets was written; and
# with the default thresholds the writes of one event to 2,500 sockets (objects that live a
# few milliseconds, until their frames are out) were promoted fast enough to start a full
# collection every few events. So: freeze what start-up built (Django, the apps, the URL tree:
# some 250,000 objects that live as long as the process; no collection walks them again), and
# look at the young generation every 10,000 allocations instead of 700, so that what an event's
# writes allocate is mostly gone before a collection sees it. In the 5,000-socket run, with the
# freeze alone each daphne still made a full collection (0.24-0.38 s) within three events; with
# both, none while events were written.
gc.freeze()
gc.set_threshold(10_000, 10, 10)

# after the freeze: the segmenter's dictionary is built while the first requests are served
warm_in_background()
