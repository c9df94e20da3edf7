from django.contrib import admin
from django.http import HttpRequest

from .models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "user", "product_name", "amount", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("number", "user__username")
    # The status follows the payment's signals; editing it by hand would lie.
    readonly_fields = ("number", "user", "product_slug", "product_name", "amount", "payment",
                       "status", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from the checkout, with a payment behind them
