"""Post-quake cases have no websocket of their own: their in-app messages reach the bell
through the portal's notifications."""

websocket_urlpatterns: list = []
