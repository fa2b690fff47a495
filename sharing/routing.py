"""Data sharing has no websocket of its own: requests, answers and pushes reach people through
the portal's notifications (the bell)."""

websocket_urlpatterns: list = []
