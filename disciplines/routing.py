from django.urls import path

from .consumers import DisciplinesConsumer

websocket_urlpatterns = [
    path("ws/disciplines/", DisciplinesConsumer.as_asgi()),
]
