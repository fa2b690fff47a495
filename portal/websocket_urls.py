"""Every websocket route of the portal; each app keeps its own in ``<app>/routing.py``."""

from portal.routing import websocket_urlpatterns as portal_ws

websocket_urlpatterns = [*portal_ws]
