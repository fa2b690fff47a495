from django.urls import path

from .consumers import ProductRunConsumer, ProductRunsConsumer

websocket_urlpatterns = [
    path("ws/products/", ProductRunsConsumer.as_asgi()),
    path("ws/products/<id:run_id>/", ProductRunConsumer.as_asgi()),
]
