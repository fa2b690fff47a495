"""Every websocket route of the portal; each feature app keeps its own in ``<app>/routing.py``."""

from importlib import import_module

from django.conf import settings

from portal.routing import websocket_urlpatterns as portal_ws

websocket_urlpatterns = [
    *portal_ws,
    *(
        route
        for app in settings.PORTAL_FEATURE_APPS
        for route in import_module(f"{app}.routing").websocket_urlpatterns
    ),
]
