"""Check status (service 55): where a payment stands, with its refunds."""

from __future__ import annotations

from decimal import Decimal

from django_doku_allo.snap.channels import ALLO
from django_doku_allo.snap.signing import snap_timestamp

from .. import codes
from ..codes import TRANSACTION_STATUS_DESC, SnapError
from ..models import Payment
from ..pipeline import Call, Reply
from ..validation import money, optional_str, require_channel, require_str

__all__ = ["check_status"]

#: DOKU's SDKs insist on "55"; SNAP and production merchants send the original service, "54".
ACCEPTED_SERVICE_CODES = ("55", "54")


def check_status(call: Call) -> Reply:
    body = call.body
    service_code = require_str(body, "serviceCode")
    if service_code not in ACCEPTED_SERVICE_CODES:
        raise codes.invalid_format("serviceCode")
    partner_reference_no = optional_str(body, "originalPartnerReferenceNo", max_len=64)
    reference_no = optional_str(body, "originalReferenceNo", max_len=64)
    optional_str(body, "originalExternalId", max_len=36)
    if not partner_reference_no and not reference_no:
        raise codes.missing_field("originalPartnerReferenceNo")
    if body.get("additionalInfo") is not None:
        require_channel(body)

    payments = Payment.objects.filter(client_id=call.conf.client_id)
    if partner_reference_no:
        payments = payments.filter(partner_reference_no=partner_reference_no)
    if reference_no:
        payments = payments.filter(reference_no=reference_no)
    payment = payments.first()
    if payment is None:
        raise SnapError(404, "01", "Transaction Not Found")
    return Reply({
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalReferenceNo": payment.reference_no,
        "originalExternalId": payment.external_id,
        "serviceCode": service_code,
        "latestTransactionStatus": payment.status,
        "transactionStatusDesc": TRANSACTION_STATUS_DESC[payment.status],
        "transAmount": money(payment.amount),
        "feeAmount": money(Decimal("0")),
        "paidTime": snap_timestamp(payment.paid_time) if payment.paid_time else None,
        "refundHistory": [
            {
                "refundNo": r.refund_no,
                "partnerRefundNo": r.partner_refund_no,
                "refundAmount": money(r.amount),
                "refundStatus": "00",
                "refundDate": snap_timestamp(r.created_at),
                "reason": r.reason,
            }
            for r in payment.refunds.order_by("created_at", "pk")
        ],
        "additionalInfo": {"deviceId": payment.device_id or None, "channel": ALLO.channel,
                           "acquirer": "ALLO_BANK"},
    })
