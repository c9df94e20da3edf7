from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "example_project.shop"
    label = "shop"
    verbose_name = "Example shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_doku_allo import signals

        from . import receivers

        # dispatch_uid: connected once even if ready() runs twice (test runners do that).
        signals.payment_succeeded.connect(receivers.payment_succeeded,
                                          dispatch_uid="shop.payment_succeeded")
        signals.payment_failed.connect(receivers.payment_failed,
                                       dispatch_uid="shop.payment_failed")
        signals.payment_refunded.connect(receivers.payment_refunded,
                                         dispatch_uid="shop.payment_refunded")
