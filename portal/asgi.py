"""One ASGI application for HTTP and websockets (served by daphne)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .search_text import warm_in_background  # noqa: E402
from .websocket_urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
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
