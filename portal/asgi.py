"""One ASGI application for HTTP and websockets (served by daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .websocket_urls import websocket_urlpatterns  # noqa: E402
from .ws_auth import DeferredAuthMiddlewareStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # the person is read in the consumer's own database call (portal/ws_auth.py)
        "websocket": AllowedHostsOriginValidator(
            DeferredAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
