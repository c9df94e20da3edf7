"""Return URLs and the customer context, used without DRF."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from django_doku_allo.exceptions import DokuAlloError
from django_doku_allo.returns import (
    CustomerContextRefused,
    absolute_url,
    binding_return_url,
    customer_context,
    payment_reference,
    payment_return_url,
)
from tests.settings import DOKU_ALLO


def test_return_urls_use_public_base_url_when_there_is_no_request() -> None:
    with override_settings(DOKU_ALLO={**DOKU_ALLO, "PUBLIC_BASE_URL": "https://shop.example/"}):
        url = binding_return_url(None, next_url="/orders/1?x=y")

    assert url == "https://shop.example/doku-allo/binding/return/?next=%2Forders%2F1%3Fx%3Dy"


def test_return_urls_without_a_request_or_base_url_say_which_setting_to_set() -> None:
    with pytest.raises(DokuAlloError, match="PUBLIC_BASE_URL"):
        absolute_url(None, "/x")


def test_payment_return_url_carries_a_reference_only_we_can_sign(rf: RequestFactory) -> None:
    url = payment_return_url(rf.get("/"), "ALLO-1", "success")
    token = url.split("payment=")[1].split("&")[0]

    assert payment_reference(token) == "ALLO-1"
    assert payment_reference(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


@pytest.mark.parametrize(("remote_addr", "headers", "options", "reason"), [
    ("::1", {}, {}, "ipv4_required"),
    ("10.0.0.1", {"X-Device-ID": "no spaces"}, {}, "invalid_device_id"),
    ("10.0.0.1", {}, {"require_device_id": True}, "device_id_required"),
])
def test_customer_context_refusals_are_domain_errors_with_a_reason(
    rf: RequestFactory, remote_addr: str, headers: dict[str, str], options: dict[str, Any],
    reason: str,
) -> None:
    request = rf.get("/", REMOTE_ADDR=remote_addr, headers=headers)

    with pytest.raises(CustomerContextRefused) as caught:
        customer_context(request, **options)

    assert caught.value.reason == reason


def test_customer_context_falls_back_to_what_was_stored(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="::1")

    context = customer_context(request, stored_ip="10.0.0.9", stored_device_id="pixel7")

    assert (context.ip_address, context.device_id) == ("10.0.0.9", "pixel7")
