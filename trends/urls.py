from django.urls import path  # noqa: F401 - the pages are added beside the services

app_name = "trends"

urlpatterns: list = []
