"""Staff find the payments that need them: DOKU debited after a failure, or paid twice."""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.models import PaymentStatus
from tests.admin.helpers import change, changelist, staff_client

pytestmark = pytest.mark.django_db


def test_the_needs_attention_filter_lists_only_payments_staff_must_settle(
    django_user_model: Any, make_payment: Any, make_binding: Any,
) -> None:
    binding = make_binding()
    flagged = make_payment(binding, status=PaymentStatus.FAILED,
                           attention="DOKU reports this payment paid after it had failed")
    calm = make_payment(binding, status=PaymentStatus.SUCCEEDED)
    client = staff_client(django_user_model, "view_payment")

    page = client.get(changelist("payment"), {"attention": "yes"})

    assert page.status_code == 200
    shown = [p.pk for p in page.context["cl"].result_list]
    assert shown == [flagged.pk]
    assert calm.pk not in shown
    detail = client.get(change(flagged)).content.decode()
    assert "DOKU reports this payment paid after it had failed" in detail
