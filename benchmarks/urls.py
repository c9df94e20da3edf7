"""URLs of the benchmark site: the app, its API and admin, the simulator, the baseline."""

from django.contrib import admin
from django.urls import include, path

from benchmarks.baseline.views import insert_one_row

urlpatterns = [
    path("admin/", admin.site.urls),
    path("doku-allo/", include("django_doku_allo.urls")),
    path("doku-simulator/", include("django_doku_allo.simulator.urls")),
    path("api/", include("django_doku_allo.api.urls")),
    path("baseline/insert", insert_one_row, name="baseline-insert"),
]
