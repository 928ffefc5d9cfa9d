from django.contrib import admin
from django.urls import path

from lottery_app.api import api
from lottery_app.middleware import ADMIN_PREFIX

urlpatterns = [
    path(ADMIN_PREFIX.lstrip("/"), admin.site.urls),
    path("", api.urls),
]

handler404 = "lottery_app.views.not_found"
handler500 = "lottery_app.views.server_error"
