"""Refunds (full only) and unbinding."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_doku_allo.simulator import state

from .conftest import CHANNEL, Bound, Snap, configure, refund_body


def test_partial_refund_is_refused_4045813(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)

    response = snap.post("refund", refund_body(payment, value="5000.00"),
                         customer_token=bound.access_token)

    assert response.status_code == 404
    assert response.json()["responseCode"] == "4045813"
    assert state.payment_status(payment["referenceNo"]) == "00"
    assert state.refund_count() == 0


def test_refund_of_an_unconfirmed_payment_is_4055801(snap: Snap, bound: Bound) -> None:
    created = snap.pay(bound).json()
    payment = {"partnerReferenceNo": created["partnerReferenceNo"],
               "referenceNo": created["referenceNo"]}

    response = snap.post("refund", refund_body(payment), customer_token=bound.access_token)

    assert response.json()["responseCode"] == "4055801"


def test_refund_of_an_unknown_payment_is_4045801(snap: Snap, bound: Bound) -> None:
    payment = {"partnerReferenceNo": "INV-none", "referenceNo": "1"}

    response = snap.post("refund", refund_body(payment), customer_token=bound.access_token)

    assert response.json()["responseCode"] == "4045801"


def test_a_second_refund_under_a_new_number_is_4045800(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)
    snap.post("refund", refund_body(payment), customer_token=bound.access_token)

    response = snap.post("refund", refund_body(payment), customer_token=bound.access_token)

    assert response.json()["responseCode"] == "4045800"
    assert state.refund_count() == 1


def test_the_same_refund_again_answers_the_original_success(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)
    body = refund_body(payment)
    first = snap.post("refund", body, customer_token=bound.access_token).json()

    second = snap.post("refund", body, customer_token=bound.access_token)

    assert second.status_code == 200
    assert second.json() == first
    assert state.refund_count() == 1
    assert state.account_balance(bound.phone) == Decimal("10000000.00")


def test_the_same_refund_number_with_other_params_is_4045818(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)
    other = snap.paid(bound)
    number = "R" * 32
    snap.post("refund", refund_body(payment, partner_refund_no=number),
              customer_token=bound.access_token)

    response = snap.post("refund", refund_body(other, partner_refund_no=number),
                         customer_token=bound.access_token)

    assert response.json()["responseCode"] == "4045818"


def test_short_partner_refund_no_is_accepted_unless_strict(snap: Snap, bound: Bound,
                                                           simulator_settings: Any) -> None:
    first, second = snap.paid(bound), snap.paid(bound)
    lenient = snap.post("refund", refund_body(first, partner_refund_no="239850918204981205970"),
                        customer_token=bound.access_token)
    configure(simulator_settings, STRICT=True)
    strict = snap.post("refund", refund_body(second, partner_refund_no="239850918204981205971"),
                       customer_token=bound.access_token)

    assert lenient.json()["responseCode"] == "2005800"
    assert strict.json()["responseCode"] == "4005801"


def test_another_customer_cannot_refund_the_payment(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)
    stranger = snap.bound_customer(phone="6281299990000", cust_id="stranger")

    response = snap.post("refund", refund_body(payment), customer_token=stranger.access_token)

    assert response.json()["responseCode"] == "4045801"


def test_refund_needs_the_customer_token(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)

    assert snap.post("refund", refund_body(payment)).json()["responseCode"] == "4015804"


def test_unbinding_with_an_unknown_token_is_401xx02(snap: Snap) -> None:
    response = snap.post("unbinding", {"tokenId": "nope",
                                       "additionalInfo": {"channel": CHANNEL}})

    assert response.json()["responseCode"] == "4010902"


def test_unbinding_without_token_id_is_400xx02(snap: Snap) -> None:
    response = snap.post("unbinding", {"additionalInfo": {"channel": CHANNEL}})

    assert response.json()["responseCode"] == "4000902"


def test_unbinding_twice_is_refused_the_second_time(snap: Snap, bound: Bound) -> None:
    body = {"tokenId": bound.access_token, "additionalInfo": {"channel": CHANNEL}}

    first = snap.post("unbinding", body)
    second = snap.post("unbinding", body)

    assert first.json()["responseCode"] == "2000900"
    assert second.json()["responseCode"] == "4010902"
    assert state.binding_status(bound.binding_reference_no) == "UNBOUND"


def test_after_unbinding_the_account_can_bind_another_customer(snap: Snap, bound: Bound) -> None:
    snap.post("unbinding", {"tokenId": bound.access_token,
                            "additionalInfo": {"channel": CHANNEL}})

    assert snap.bound_customer(cust_id="someone-else").access_token
