from django.urls import path

from .consumers import FlowRunConsumer

websocket_urlpatterns = [
    path("ws/flows/runs/<id:run_id>/", FlowRunConsumer.as_asgi()),
]
