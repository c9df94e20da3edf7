"""An unusable return link is a page in the customer's words, with a way back."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_an_invalid_payment_link_is_a_page_with_a_way_back(client: Client, settings) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "RETURN_FALLBACK_URL": "/orders/"}

    response = client.get(reverse("doku_allo:payment-return"), {"payment": "forged"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "This payment link is not valid or has expired." in page
    assert 'href="/orders/"' in page


def test_an_invalid_binding_link_is_a_page_in_indonesian(client: Client) -> None:
    with translation.override("id"):
        response = client.get(reverse("doku_allo:binding-return"), {"state": "forged"},
                              HTTP_ACCEPT_LANGUAGE="id")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Kembali ke toko" in page
    assert 'href="/"' in page


def test_a_binding_the_customer_did_not_confirm_says_why(client: Client, make_binding) -> None:
    from datetime import timedelta

    from django.contrib.messages import get_messages
    from django.utils import timezone

    from django_doku_allo.models import BindingStatus
    from django_doku_allo.services.bindings import digest

    binding = make_binding(status=BindingStatus.PENDING, state_digest=digest("s" * 40),
                           state_expires_at=timezone.now() + timedelta(minutes=5))
    client.force_login(binding.user)

    response = client.get(reverse("doku_allo:binding-return"),
                          {"state": "s" * 40, "result": "failed"})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your Allo Bank account was not linked: the OTP/PIN was not completed. "
        "Try linking again."]
