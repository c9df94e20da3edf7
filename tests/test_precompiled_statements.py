"""The notification's statements, compiled once, read and write exactly what the ORM does.

The lock gives what ``get()`` gives; the insert and the narrow update store what
``save()`` stores (timestamps, encrypted columns, JSON) and send the same signals.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F, signals
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from django_doku_allo.models import Binding, Notification, Payment
from django_doku_allo.services._statements import insert, locked_get, update

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


def _stored(model: Any, pk: Any) -> dict[str, Any]:
    return _columns(model.objects.get(pk=pk)) if model is Payment else {
        f.attname: getattr(model.objects.get(pk=pk), f.attname)
        for f in model._meta.concrete_fields}


def test_an_insert_stores_what_save_stores_and_signals_like_it(make_payment: Any) -> None:
    payment = make_payment()
    seen: list[tuple[str, bool]] = []

    def on_pre(instance: Any, **kwargs: Any) -> None:
        seen.append(("pre", instance.pk is None))

    def on_post(instance: Any, created: bool, **kwargs: Any) -> None:
        seen.append(("post", created))

    signals.pre_save.connect(on_pre, sender=Notification)
    signals.post_save.connect(on_post, sender=Notification)
    try:
        inserted = Notification(payment=payment, body='{"a": 1}', headers={"X-A": "b"},
                                verified=True, result="pending -> succeeded")
        insert(inserted)
    finally:
        signals.pre_save.disconnect(on_pre, sender=Notification)
        signals.post_save.disconnect(on_post, sender=Notification)
    saved = Notification(payment=payment, body='{"a": 1}', headers={"X-A": "b"},
                         verified=True, result="pending -> succeeded")
    saved.save(force_insert=True)

    assert seen == [("pre", True), ("post", True)]
    assert inserted.pk is not None
    assert not inserted._state.adding
    mine, django = _stored(Notification, inserted.pk), _stored(Notification, saved.pk)
    assert mine["received_at"] is not None
    different = {k for k in mine if mine[k] != django[k]} - {"id", "received_at"}
    assert different == set()


def test_an_update_writes_only_the_named_columns_and_encrypts(make_binding: Any) -> None:
    binding = make_binding()
    before = Binding.objects.get(pk=binding.pk)
    binding.access_token = "new-customer-token"
    binding.phone_number = "6281199999999"  # changed in memory, not named: not written

    update(binding, ["access_token", "updated_at"])

    stored = Binding.objects.get(pk=binding.pk)
    assert stored.access_token == "new-customer-token"
    assert stored.phone_number == before.phone_number
    assert stored.updated_at > before.updated_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM doku_allo_binding WHERE id = %s", [binding.pk])
        (raw,) = cursor.fetchone()
    assert "new-customer-token" not in raw


def test_an_update_of_a_vanished_row_fails_like_save(make_payment: Any) -> None:
    payment = make_payment()
    Payment.objects.filter(pk=payment.pk).delete()
    payment.description = "gone"
    with pytest.raises(DatabaseError):
        update(payment, ["description"])


def test_an_expression_is_refused_rather_than_stored_as_text(make_payment: Any) -> None:
    payment = make_payment()
    payment.amount = F("amount") + 1
    with pytest.raises(TypeError):
        update(payment, ["amount"])
