"""Benchmark 3's data: 100,000 payments on the merchant's side, the pending ones on DOKU's.

One customer with ``payments`` payments over ten bindings (70% succeeded, 12% failed, 8%
refunded with their refunds, the newest ``pending`` still pending and older than a
minute), a typical customer with 100, DOKU's raw answers and request bodies of realistic
size; bulk_create on PostgreSQL, then VACUUM ANALYZE so the planner sees the real table.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

BINDINGS = 10
TYPICAL_PAYMENTS = 100
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

    batch: list[Payment] = []
    with transaction.atomic():
        for payment in (*rows(heavy, heavy_bindings, payments, "H"),
                        *rows(typical, [typical_binding], TYPICAL_PAYMENTS, "T")):
            batch.append(payment)
            if len(batch) == 5000:
                Payment.objects.bulk_create(batch)
                batch = []
        Payment.objects.bulk_create(batch)
    db_table = Payment._meta.db_table
    with connection.cursor() as cursor:
        # Spread creation times over the past months (newest = lowest index, 2+ min old).
        cursor.execute(
            f"""UPDATE {db_table} SET
                  created_at = now() - interval '2 minutes'
                               - interval '150 seconds' * (id - (SELECT min(id) FROM {db_table})),
                  updated_at = now(),
                  paid_at = CASE WHEN status IN ('succeeded', 'refunded')
                                 THEN now() - interval '150 seconds' * (id - (SELECT min(id)
                                      FROM {db_table})) ELSE NULL END""")
    refunded = list(Payment.objects.filter(status=PaymentStatus.REFUNDED)
                    .values_list("pk", "amount", "partner_reference_no"))
    Refund.objects.bulk_create(
        [Refund(payment_id=pk, partner_refund_no=f"RFND{ref[4:]}{i:08d}",
                external_id=new_external_id(), amount=amount, reason="Customer returned it",
                status=RefundStatus.SUCCEEDED, refund_no=f"{3 * 10**19 + i}",
                response_code="2005800", response_message="Successful", refunded_at=now,
                raw={"responseCode": "2005800", "responseMessage": "Successful"})
         for i, (pk, amount, ref) in enumerate(refunded)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"admin": admin, "heavy": heavy, "typical": typical,
            "phone": heavy_bindings[3].phone_number, "refunds": len(refunded),
            "seconds": time.monotonic() - started}


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
