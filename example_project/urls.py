from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the header's switch
    path("doku-allo/", include("django_doku_allo.urls")),
    path("doku-simulator/", include("django_doku_allo.simulator.urls")),
    path("api/", include("django_doku_allo.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Browsers ask for /favicon.ico on pages that name none (admin, the API docs).
    path("favicon.ico", RedirectView.as_view(url=static("shop/favicon.svg"), permanent=True)),
    path("", include("example_project.shop.urls")),
]
