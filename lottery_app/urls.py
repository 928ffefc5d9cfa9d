from django.contrib import admin
from django.urls import path

from lottery_app.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", api.urls),
]
