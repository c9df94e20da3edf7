"""Refund (service 58): Allo refunds are full refunds of a successful payment."""

from __future__ import annotations

from django_doku_allo.snap.codes import REFUND_SUCCESS
from django_doku_allo.snap.signing import snap_timestamp

from .. import ledger
from ..codes import SnapError
from ..models import Payment, Refund
from ..pipeline import Call, Reply
from ..tokens import new_reference_no
from ..validation import (
    fingerprint,
    money,
    optional_str,
    require_amount,
    require_channel,
    require_str,
)

__all__ = ["refund"]


def _replay_or_conflict(call: Call, partner_refund_no: str, key: str) -> Reply | None:
    existing = Refund.objects.filter(client_id=call.conf.client_id,
                                     partner_refund_no=partner_refund_no).first()
    if existing is None:
        return None
    if existing.fingerprint != key:
        raise SnapError(404, "18", "Inconsistent Request")
    # The same refund again: it already happened, answer as the first time.
    fields = {k: v for k, v in existing.response_body.items()
              if k not in ("responseCode", "responseMessage")}
    return Reply(fields)


def _payment(call: Call, partner_reference_no: str, reference_no: str | None) -> Payment:
    payment = (Payment.objects.select_for_update()
               .filter(client_id=call.conf.client_id, partner_reference_no=partner_reference_no)
               .first())
    if (payment is None or (reference_no and payment.reference_no != reference_no)
            or payment.account_id != call.binding.account_id):
        raise SnapError(404, "01", "Transaction Not Found")
    if payment.status == Payment.Status.REFUNDED:
        raise SnapError(404, "00", "Invalid Transaction Status. The payment is already refunded")
    if payment.status != Payment.Status.SUCCESS:
        raise SnapError(405, "01", "Requested Operation Is Not Allowed. Only a successful "
                                   "payment can be refunded")
    return payment


def refund(call: Call) -> Reply:
    body, conf = call.body, call.conf
    partner_reference_no = require_str(body, "originalPartnerReferenceNo", max_len=64)
    reference_no = optional_str(body, "originalReferenceNo", max_len=64)
    optional_str(body, "originalExternalId", max_len=36)
    amount = require_amount(body, "refundAmount")
    # DOKU documents 32 to 64 characters but its own example has 21: strict mode only.
    partner_refund_no = require_str(body, "partnerRefundNo", max_len=64,
                                    min_len=32 if conf.strict else 1)
    reason = optional_str(body, "reason", max_len=255) or ""
    require_channel(body)

    key = fingerprint(body)
    replay = _replay_or_conflict(call, partner_refund_no, key)
    if replay is not None:
        return replay
    payment = _payment(call, partner_reference_no, reference_no)
    if amount != payment.amount:
        raise SnapError(404, "13", "Invalid Amount. Allo supports full refunds only")
    refund_no = new_reference_no()
    fields = {
        "refundAmount": money(amount),
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalReferenceNo": payment.reference_no,
        "refundNo": refund_no,
        "partnerRefundNo": partner_refund_no,
        "refundTime": snap_timestamp(),
    }
    ledger.refund_payment(
        payment, refund_no=refund_no, partner_refund_no=partner_refund_no, amount=amount,
        reason=reason, fingerprint=key,
        response_body={"responseCode": REFUND_SUCCESS, "responseMessage": "Successful",
                       **fields},
    )
    return Reply(fields)
