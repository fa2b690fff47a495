from django.urls import path

from .consumers import MeetingRoomConsumer

websocket_urlpatterns = [
    path("ws/consultations/meetings/<id:meeting_id>/", MeetingRoomConsumer.as_asgi()),
]
