from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import apis, integrity_views, report_views, search_apis, search_views, token_apis, token_views, views
from .health import healthz

api_v1 = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("me/waiting/", apis.WaitingApi.as_view(), name="api-me-waiting"),
    path("bureaus/", apis.BureauListApi.as_view(), name="api-bureau-list"),
    path("bureaus/<str:code>/", apis.BureauDetailApi.as_view(), name="api-bureau-detail"),
    path("users/", apis.UserListApi.as_view(), name="api-user-list"),
    path("users/<id:user_id>/", apis.UserDetailApi.as_view(), name="api-user-detail"),
    path("notifications/", apis.NotificationListApi.as_view(), name="api-notification-list"),
    path("notifications/read/", apis.NotificationReadApi.as_view(), name="api-notification-read"),
    path("report-views/", apis.ReportReadersApi.as_view(), name="api-report-views"),
    path("report-views/daily/", apis.ReportViewsDailyApi.as_view(), name="api-report-views-daily"),
    path("tokens/", token_apis.TokenListApi.as_view(), name="api-token-list"),
    path("tokens/<id:token_id>/", token_apis.TokenDetailApi.as_view(), name="api-token-detail"),
    path("tokens/<id:token_id>/revoke/", token_apis.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("tokens/<id:token_id>/uses/", token_apis.TokenUseListApi.as_view(), name="api-token-uses"),
    path("search/", search_apis.SearchApi.as_view(), name="api-search"),
]

urlpatterns = [
    # First: the FDSN service is the busiest read, and Django tries the patterns in order
    # (after the feature apps' ~30 includes it was 0.2-0.3 ms of resolving a request).
    path("fdsnws/event/1/", include("catalog.fdsn_urls")),
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("bureau/switch/", views.switch_bureau, name="switch-bureau"),
    path("bureaus.geojson", views.bureaus_geojson, name="bureaus-geojson"),
    path("notifications/", views.notifications, name="notifications"),
    path("me/settings/", views.my_settings, name="my-settings"),
    path("me/tokens/", token_views.token_list, name="token-list"),
    path("me/tokens/<id:token_id>/", token_views.token_detail, name="token-detail"),
    path("me/tokens/<id:token_id>/revoke/", token_views.token_revoke, name="token-revoke"),
    path("manage/tokens/", token_views.bureau_tokens, name="bureau-tokens"),
    path("manage/bureaus/", views.bureau_admin_list, name="bureau-admin-list"),
    path("manage/bureaus/new/", views.bureau_admin_edit, name="bureau-admin-new"),
    path("manage/bureaus/<str:code>/", views.bureau_admin_edit, name="bureau-admin-edit"),
    path("manage/people/", views.people_list, name="people-list"),
    path("manage/people/new/", views.person_add, name="person-add"),
    path("manage/people/<id:user_id>/", views.person_detail, name="person-detail"),
    path("manage/readership/", report_views.readership_manage, name="readership-manage"),
    path("manage/integrity/", integrity_views.integrity_page, name="integrity"),
    path("manage/integrity/verify/", integrity_views.integrity_verify, name="integrity-verify"),
    path("manage/integrity/anchors.json", integrity_views.integrity_anchors, name="integrity-anchors"),
    path("reports/", report_views.report_list, name="report-index"),
    path("search/", search_views.search_page, name="search"),
    path("api/v1/", include(api_v1)),
    *(path("api/v1/", include(f"{app}.api_urls")) for app in settings.PORTAL_FEATURE_APPS),
    *(path("", include(f"{app}.urls")) for app in settings.PORTAL_FEATURE_APPS),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a script file (?script), not inline:
    # the Content-Security-Policy admits no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.not_found"
handler500 = "portal.errors.server_error"
