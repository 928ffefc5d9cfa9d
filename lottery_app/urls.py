from django.contrib import admin
from django.urls import include, path

from lottery_app.api import api
from lottery_app.middleware import ADMIN_PREFIX
from lottery_app.views import admin_login

urlpatterns = [
    path(ADMIN_PREFIX.lstrip("/") + "login/", admin_login),  # before admin's own, which it wraps
    path(ADMIN_PREFIX.lstrip("/"), admin.site.urls),
    path("", include("pages.urls")),  # the human pages, on paths of their own
    path("", api.urls),
]

handler400 = "lottery_app.views.bad_request"
handler403 = "lottery_app.views.permission_denied"
handler404 = "lottery_app.views.not_found"
handler500 = "lottery_app.views.server_error"
