from django.urls import path

from .consumers import CatalogPageConsumer, EventStreamConsumer

websocket_urlpatterns = [
    path("ws/events/", EventStreamConsumer.as_asgi()),
    path("ws/catalog/", CatalogPageConsumer.as_asgi()),
]
