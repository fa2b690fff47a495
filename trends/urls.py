from django.urls import path  # noqa: F401 - the pages are added beside the services

from . import brief_urls

app_name = "trends"

urlpatterns: list = [*brief_urls.urlpatterns]
