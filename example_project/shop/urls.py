from django.urls import path

from . import views

app_name = "shop"
urlpatterns = [
    path("", views.home, name="home"),
    path("allo/link/", views.link_allo, name="link-allo"),
    path("allo/unlink/", views.unlink_allo, name="unlink-allo"),
    path("buy/<slug:slug>/", views.buy, name="buy"),
    path("orders/<str:number>/", views.order_detail, name="order"),
    path("orders/<str:number>/cancel/", views.cancel_payment, name="cancel-payment"),
    path("orders/<str:number>/check/", views.check_payment, name="check-payment"),
]
