from . import brief_api_urls

urlpatterns: list = [*brief_api_urls.urlpatterns]
