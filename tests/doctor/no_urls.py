"""A URL configuration that forgot django_doku_allo.urls."""

urlpatterns: list[object] = []
