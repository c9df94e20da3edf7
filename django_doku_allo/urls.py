from django.urls import path  # noqa: F401

app_name = "doku_allo"
urlpatterns: list = []
