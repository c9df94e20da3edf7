"""The Allo Bank pages speak the request's language: Bahasa Indonesia under ``id``."""

from __future__ import annotations

import pytest
from django.utils import translation

from .conftest import INDONESIAN, Bound, Snap

pytestmark = pytest.mark.usefixtures("locale_middleware")


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_binding_page_is_indonesian_under_accept_language_id(snap: Snap) -> None:
    page = _path(snap.bind()["redirectUrl"])

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert '<html lang="id">' in html
    assert "Tautkan akun Allo Bank Anda" in html
    assert "OTP uji: 123456." in html
    assert ">Batalkan</button>" in html
    assert "Link your Allo Bank account" not in html


def test_binding_page_stays_english_under_accept_language_en(snap: Snap) -> None:
    page = _path(snap.bind()["redirectUrl"])

    html = snap.client.get(page, headers={"accept-language": "en"}).content.decode()

    assert '<html lang="en">' in html
    assert "Link your Allo Bank account" in html


def test_payment_page_is_indonesian(snap: Snap, bound: Bound) -> None:
    page = _path(snap.pay(bound).json()["webRedirectUrl"])

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert "Konfirmasi pembayaran" in html
    assert ">Verifikasi</button>" in html
    assert "Simulator DOKU" in html


def test_pin_step_is_indonesian(snap: Snap) -> None:
    page = _path(snap.bind()["redirectUrl"])
    snap.client.post(page, {"otp": "123456", "action": "submit"})

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert "PIN uji: 123456." in html
    assert ">Tautkan akun</button>" in html


def test_payment_pin_step_asks_to_pay_in_indonesian(snap: Snap, bound: Bound) -> None:
    page = _path(snap.pay(bound).json()["webRedirectUrl"])
    snap.client.post(page, {"otp": "123456", "action": "submit"})

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert ">Bayar</button>" in html
    assert "Masukkan 6 digit PIN Anda." in html


def test_protocol_messages_stay_english_under_indonesian(snap: Snap, bound: Bound) -> None:
    # DOKU's responseMessage is protocol, not UI: English whatever the language.
    with translation.override("id"):
        body = snap.pay(bound).json()

    assert body["responseMessage"] == "Successful"
