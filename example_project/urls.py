from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("doku-allo/", include("django_doku_allo.urls")),
    path("doku-simulator/", include("django_doku_allo.simulator.urls")),
    path("", include("example_project.shop.urls")),
]
