"""The notification's payment lock, compiled once, reads exactly what ``get()`` reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from django_doku_allo.models import Payment
from django_doku_allo.services._statements import locked_get

pytestmark = pytest.mark.django_db


def _columns(payment: Payment) -> dict[str, Any]:
    return {f.attname: getattr(payment, f.attname) for f in Payment._meta.concrete_fields}


def test_it_gives_the_same_payment_as_get(make_payment: Any) -> None:
    payment = make_payment()
    Payment.objects.filter(pk=payment.pk).update(request_body={"a": [1, "ż"]})

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locked = locked_get(Payment, "partner_reference_no", payment.partner_reference_no)
        again = locked_get(Payment, "partner_reference_no", payment.partner_reference_no)

    expected = _columns(Payment.objects.get(pk=payment.pk))
    assert _columns(locked) == _columns(again) == expected
    assert locked.request_body == {"a": [1, "ż"]}
    assert not locked._state.adding
    if connection.features.has_select_for_update:
        assert all(q["sql"].endswith("FOR UPDATE") for q in captured.captured_queries)
    assert locked.binding.pk == payment.binding_id


def test_an_unknown_reference_raises_does_not_exist(make_payment: Any) -> None:
    make_payment()
    with transaction.atomic(), pytest.raises(Payment.DoesNotExist):
        locked_get(Payment, "partner_reference_no", "NO-SUCH-REFERENCE")


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_a_transaction(make_payment: Any) -> None:
    payment = make_payment()
    with pytest.raises(TransactionManagementError):
        locked_get(Payment, "partner_reference_no", payment.partner_reference_no)
