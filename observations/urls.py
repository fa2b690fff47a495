app_name = "observations"

urlpatterns: list = []
