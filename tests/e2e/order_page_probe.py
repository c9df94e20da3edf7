"""Run inside the example project (``manage.py shell``): the order page of an old payment.

Not a test module: test_shop_order_page.py runs it in a subprocess, because the shop
is not installed in the suite's settings. It prints one JSON line per case.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus
from example_project.shop.models import Order

ALLO_PAGE = "http://127.0.0.1:8000/doku-simulator/pages/payment/1/"


def order_page(age: timedelta, language: str) -> dict[str, object]:
    """The order page of a payment still pending ``age`` after it began, in ``language``."""
    # One customer per case: a customer has one live binding per phone.
    user = get_user_model().objects.create(username=f"probe-{language}-{age.total_seconds():.0f}")
    binding = Binding.objects.create(user=user, phone_number="6281100000001",
                                     cust_id_merchant="probe", status=BindingStatus.ACTIVE,
                                     external_id="probe")
    order = Order.objects.create(user=user, product_slug="batik-tote",
                                 product_name="Batik tote bag", amount=Decimal("150000.00"))
    payment = Payment.objects.create(
        binding=binding, user=user, partner_reference_no=f"PROBE{order.pk}",
        order_id=order.number, amount=order.amount, description="Batik tote bag",
        status=PaymentStatus.PENDING, web_redirect_url=ALLO_PAGE, external_id=f"p{order.pk}")
    began = timezone.now() - age
    Payment.objects.filter(pk=payment.pk).update(created_at=began)
    Order.objects.filter(pk=order.pk).update(payment=payment, created_at=began)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    html = client.get(f"/orders/{order.number}/").content.decode()
    return {"age_seconds": int(age.total_seconds()), "language": language,
            "refreshes": 'http-equiv="refresh"' in html,
            "check_again": 'id="check-again"' in html,
            "continue_paying": f'href="{ALLO_PAGE}"' in html,
            "cancel": 'id="cancel-payment"' in html,
            "html": html}


for case in ((timedelta(seconds=10), "en"), (timedelta(minutes=3), "id"),
             (timedelta(hours=1), "en")):
    print(json.dumps(order_page(*case)))
