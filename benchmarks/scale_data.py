"""Benchmark 3's data: 100,000 or 1,000,000 payments on the merchant's side, the pending
ones on DOKU's.

One customer with ``payments`` payments over ten bindings (70% succeeded, 12% failed, 8%
refunded with their refunds, the newest ``pending`` still pending and older than a
minute), a typical customer with 100, DOKU's raw answers and request bodies of realistic
size, one notification for every tenth payment (the newest paid ones; 1% flagged, 0.5%
unverified). Inserted with COPY on PostgreSQL (bulk_create in batches elsewhere), dates
set as rows are generated, then VACUUM ANALYZE so the planner sees the real table.
A million payments take a few minutes and ~2.5 GB; ``existing_data`` finds a set an
earlier run left, so it is generated once.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

BINDINGS = 10
TYPICAL_PAYMENTS = 100
#: One notification for every this many payments (the newest paid ones).
NOTIFIED_EVERY = 10
#: bulk_create's batch size where COPY is not available.
BATCH = 5000
#: Simulator outcomes of the pending payments, in rotation: paid, paid, still waiting, failed.
SIM_STATUSES = ("00", "00", "01", "06")


def _raw_answer(ref: str, reference_no: str) -> dict[str, Any]:
    return {
        "responseCode": "2005400", "responseMessage": "Successful",
        "referenceNo": reference_no, "partnerReferenceNo": ref,
        "webRedirectUrl": f"https://app-uat.doku.com/link/{reference_no}?otp=1&lang=id",
        "additionalInfo": {"channel": "DIRECT_DEBIT_ALLO_SNAP", "acquirer": "ALLO_BANK"},
    }


def _request_body(ref: str, amount: str) -> dict[str, Any]:
    return {
        "partnerReferenceNo": ref, "amount": {"value": amount, "currency": "IDR"},
        "additionalInfo": {
            "channel": "DIRECT_DEBIT_ALLO_SNAP", "remarks": "Order at the benchmark shop",
            "successPaymentUrl": f"https://shop.example/pay/return/?ref={ref}&result=success",
            "failedPaymentUrl": f"https://shop.example/pay/return/?ref={ref}&result=failed",
            "lineItems": [{"name": "Batik shirt", "price": amount, "quantity": "1"}],
        },
    }


def create_data(payments: int, pending: int) -> dict[str, Any]:
    """The merchant's side; returns the users the pages log in as and the figures reported."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from django_doku_allo.models import (
        Binding,
        BindingStatus,
        Notification,
        Payment,
        PaymentStatus,
        Refund,
        RefundStatus,
    )
    from django_doku_allo.snap.signing import new_external_id

    started = time.monotonic()
    users = get_user_model().objects
    admin = users.create_superuser("admin", "admin@shop.example", "x" * 12)
    heavy = users.create_user("bigspender", "big@shop.example", "x" * 12)
    typical = users.create_user("typical", "typical@shop.example", "x" * 12)
    now = timezone.now()

    def binding(user: Any, phone: str) -> Binding:
        return Binding.objects.create(
            user=user, phone_number=phone, cust_id_merchant=str(user.pk),
            status=BindingStatus.ACTIVE, external_id=new_external_id(),
            reference_no=str(10**19 + secrets.randbelow(10**19)), customer_ip="10.0.0.1",
            device_id="benchdevice", access_token="customer-token", activated_at=now)

    heavy_bindings = [binding(heavy, f"628120000{i:04d}") for i in range(BINDINGS)]
    typical_binding = binding(typical, "6281300000001")

    # Newest first: the first ``pending`` are pending, then a fixed mix of outcomes.
    def status_of(i: int) -> str:
        if i < pending:
            return PaymentStatus.PENDING
        k = i % 100
        if k < 12:
            return PaymentStatus.FAILED
        if k < 20:
            return PaymentStatus.REFUNDED
        return PaymentStatus.SUCCEEDED

    def rows(owner: Any, bindings: list[Binding], count: int, prefix: str) -> Iterator[Payment]:
        for i in range(count):
            ref = f"ALLO{prefix}{i:026d}"
            reference_no = f"{10**19 + i}" if prefix == "H" else f"{2 * 10**19 + i}"
            amount = f"{10000 + (i % 500) * 1000}.00"
            status = status_of(i) if prefix == "H" else PaymentStatus.SUCCEEDED
            yield Payment(
                binding=bindings[i % len(bindings)], user=owner, partner_reference_no=ref,
                reference_no=reference_no, external_id=new_external_id(),
                order_id=f"ORDER-{prefix}{i:08d}", amount=Decimal(amount),
                description="Order at the benchmark shop", status=status,
                doku_status={"succeeded": "00", "failed": "06", "refunded": "04"}.get(
                    status, "01"),
                web_redirect_url=f"https://app-uat.doku.com/link/{reference_no}?otp=1",
                response_code="2005400", response_message="Successful",
                request_body=_request_body(ref, amount), raw=_raw_answer(ref, reference_no),
                customer_ip="10.0.0.1", device_id="benchdevice",
                failure_reason="DOKU status 06" if status == PaymentStatus.FAILED else "")

    # Spread creation times over the past years: newest = first row, 2+ min old, one
    # every 150 s (a million payments reach back ~4.8 years); paid 2 minutes later.
    def dated(position: int, payment: Payment) -> Payment:
        payment.created_at = now - timedelta(minutes=2, seconds=150 * position)
        payment.updated_at = now
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            payment.paid_at = payment.created_at + timedelta(minutes=2)
        return payment

    generated = (dated(k, payment) for k, payment in enumerate(
        itertools.chain(rows(heavy, heavy_bindings, payments, "H"),
                        rows(typical, [typical_binding], TYPICAL_PAYMENTS, "T"))))
    with transaction.atomic():
        bulk_insert(Payment, generated)
    refunded = list(Payment.objects.filter(status=PaymentStatus.REFUNDED)
                    .values_list("pk", "amount", "partner_reference_no", "paid_at"))
    with transaction.atomic():
        bulk_insert(Refund, (
            Refund(payment_id=pk, partner_refund_no=f"RFND{ref[4:]}{i:08d}",
                   external_id=new_external_id(), amount=amount,
                   reason="Customer returned it", status=RefundStatus.SUCCEEDED,
                   refund_no=f"{3 * 10**19 + i}", response_code="2005800",
                   response_message="Successful", created_at=paid_at + timedelta(days=1),
                   updated_at=now, refunded_at=paid_at + timedelta(days=1),
                   raw={"responseCode": "2005800", "responseMessage": "Successful"})
            for i, (pk, amount, ref, paid_at) in enumerate(refunded)))
    notified = (Payment.objects.filter(user=heavy, paid_at__isnull=False)
                .order_by("-created_at")
                .values_list("pk", "partner_reference_no", "reference_no", "amount",
                             "paid_at")[:payments // NOTIFIED_EVERY])
    with transaction.atomic():
        bulk_insert(Notification, (
            _notification(i, *row) for i, row in enumerate(list(notified))))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"admin": admin, "heavy": heavy, "typical": typical,
            "phone": heavy_bindings[3].phone_number, "refunds": len(refunded),
            "notifications": Notification.objects.count(),
            "seconds": time.monotonic() - started, "method": _method(connection)}


def existing_data(payments: int) -> dict[str, Any] | None:
    """The data set a previous run left in the bench database, if it has ``payments``."""
    from django.contrib.auth import get_user_model

    from django_doku_allo.models import Binding, Notification, Payment, Refund

    users = get_user_model().objects
    heavy = users.filter(username="bigspender").first()
    if heavy is None or Payment.objects.filter(user=heavy).count() != payments:
        return None
    phone = (Binding.objects.filter(user=heavy).order_by("pk")
             .values_list("phone_number", flat=True)[3])
    return {"admin": users.get(username="admin"), "heavy": heavy,
            "typical": users.get(username="typical"), "phone": phone,
            "refunds": Refund.objects.count(), "notifications": Notification.objects.count(),
            "seconds": None, "method": "reused from an earlier run"}


def _method(connection: Any) -> str:
    return "COPY" if connection.vendor == "postgresql" else f"bulk_create ({BATCH})"


def bulk_insert(model: Any, objects: Iterable[Any]) -> None:
    """Insert model instances fast: COPY on PostgreSQL, else bulk_create in batches.

    Field values are taken as set (``auto_now``/``auto_now_add`` are not applied), so
    dates can be spread over the past.
    """
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        for batch in _batches(objects):
            model.objects.bulk_create(batch)
        return
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, \
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([_copy_value(f, getattr(obj, f.attname)) for f in fields])


def _copy_value(field: Any, value: Any) -> Any:
    if value is None:
        return None
    if field.get_internal_type() == "JSONField":
        return json.dumps(value)
    return value


def _batches(objects: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _notification(i: int, pk: int, ref: str, reference_no: str, amount: Decimal,
                  paid_at: Any) -> Any:
    """DOKU's notification of a paid payment; a few flagged, a few unverified."""
    from django_doku_allo.models import Notification

    flagged, unverified = i % 100 == 7, i % 200 == 11
    body = {
        "originalPartnerReferenceNo": ref, "originalReferenceNo": reference_no,
        "latestTransactionStatus": "00", "transactionStatusDesc": "Success",
        "amount": {"value": f"{amount:.2f}", "currency": "IDR"},
        "additionalInfo": {"channelId": "DIRECT_DEBIT_ALLO_SNAP", "acquirer": "ALLO_BANK"},
    }
    return Notification(
        received_at=paid_at, remote_addr="10.0.0.9", path="/doku/notifications/",
        headers={"X-EXTERNAL-ID": f"{i:020d}", "X-PARTNER-ID": "bench",
                 "X-TIMESTAMP": paid_at.isoformat(), "Authorization": "Bearer [redacted]"},
        body=json.dumps(body), external_id=f"{i:020d}",
        original_partner_reference_no=ref, latest_transaction_status="00",
        verified=not unverified,
        verification_error="signature mismatch" if unverified else "",
        processed=not unverified, processed_at=None if unverified else paid_at,
        flagged=flagged, result="amount mismatch" if flagged else "pending -> succeeded",
        error="", traceback="", payment_id=None if unverified else pk)


def create_simulator_payments(pending: int) -> dict[str, int]:
    """DOKU's side of the pending payments, so each status check finds its payment."""
    from django.conf import settings
    from django.utils import timezone

    from django_doku_allo.models import Payment as MerchantPayment
    from django_doku_allo.models import PaymentStatus
    from django_doku_allo.simulator.models import Account, Binding, Payment
    from django_doku_allo.simulator.tokens import digest

    account = Account.objects.create(phone_no="6281200000003", name="Benchmark",
                                     balance=Decimal("1000000000.00"))
    binding = Binding.objects.create(
        reference_no="1" * 20, client_id=settings.CLIENT_ID, account=account,
        cust_id_merchant="bench", auth_code_hash=digest("bench-auth-code"),
        status=Binding.Status.ACTIVE, success_url="https://shop.example/ok",
        failed_url="https://shop.example/fail", request_body={}, activated_at=timezone.now())
    counts = dict.fromkeys(SIM_STATUSES, 0)
    rows = []
    merchant = (MerchantPayment.objects.filter(status=PaymentStatus.PENDING).order_by("pk")
                .values_list("partner_reference_no", "reference_no", "external_id", "amount"))
    for i, (ref, reference_no, external_id, amount) in enumerate(merchant):
        status = SIM_STATUSES[i % len(SIM_STATUSES)]
        counts[status] += 1
        rows.append(Payment(
            reference_no=reference_no, client_id=settings.CLIENT_ID, partner_reference_no=ref,
            external_id=external_id, fingerprint="bench", binding=binding, account=account,
            amount=amount, remarks="Order at the benchmark shop",
            line_items=[{"name": "Batik shirt", "price": f"{amount:.2f}", "quantity": "1"}],
            success_url="https://shop.example/ok", failed_url="https://shop.example/fail",
            ip_address="10.0.0.1", device_id="benchdevice",
            merchant_base_url="https://shop.example", request_body=_request_body(
                ref, f"{amount:.2f}"), status=status,
            paid_time=timezone.now() if status == "00" else None))
    Payment.objects.bulk_create(rows, batch_size=5000)
    assert len(rows) == pending, (len(rows), pending)
    return counts
