from django.contrib import admin
from django.urls import include, path

from common.middleware import ADMIN_PREFIX
from config.api import api
from config.views import admin_login

urlpatterns = [
    path(ADMIN_PREFIX.lstrip("/") + "login/", admin_login),  # before admin's own, which it wraps
    path(ADMIN_PREFIX.lstrip("/"), admin.site.urls),
    path("", include("pages.urls")),  # the human pages, on paths of their own
    path("", api.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
