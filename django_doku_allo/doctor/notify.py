"""``--notify-self``: send our own notification endpoint a notification signed as DOKU signs it.

DOKU's flow has two legs (spec section 6): DOKU asks our token endpoint for a B2B token,
signing ``clientId|X-TIMESTAMP`` with *DOKU's* private key; then it posts the
notification with that token as Bearer and a symmetric X-SIGNATURE made with
``CLIENT_SECRET``. Only DOKU (and the simulator) holds DOKU's private key. So:

- against the simulator, the first leg is signed with the simulator's DOKU key and the
  whole flow is checked;
- against a real DOKU, the first leg can only be checked for refusing a request signed
  with another key; the notification leg uses a token this process issues with
  ``PRIVATE_KEY``, which the endpoint verifies exactly as it verifies DOKU's.

In-process (no ``--url``) everything runs through Django's test client inside a
transaction that is rolled back: nothing is stored. Over HTTP (``--url``) the delivery
is stored like any other (a Notification naming a made-up ``DOCTOR...`` payment).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from ..conf import doku_settings
from ..snap import codes
from ..snap.signing import asymmetric_signature, minify, new_external_id, snap_timestamp
from .keys import Keys, simulator_settings
from .report import Report, Section

__all__ = ["check_notify_self"]


@dataclass(frozen=True)
class Answer:
    status: int
    data: dict[str, Any] | None
    location: str = ""

    @property
    def code(self) -> str:
        return str((self.data or {}).get("responseCode") or "")

    @property
    def said(self) -> str:
        message = str((self.data or {}).get("responseMessage") or "")
        return f"{self.code} {message}".strip() or f"HTTP {self.status}"


class _Sender:
    """POSTs to the site, in-process through Django's test client or over HTTP."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self._client: Any = None
        self._session: Any = None
        if self.base_url is None:
            from django.test import Client

            public = urlsplit(str(doku_settings.PUBLIC_BASE_URL or ""))
            self.secure = public.scheme == "https"
            self._client = Client(SERVER_NAME=public.hostname or _allowed_host(),
                                  raise_request_exception=False)
        else:
            import requests

            self._session = requests.Session()

    def where(self, path: str) -> str:
        return (self.base_url or "(in-process)") + path

    def signed_path(self, path: str) -> str:
        return urlsplit(self.base_url).path.rstrip("/") + path if self.base_url else path

    def post(self, path: str, body: str, headers: Mapping[str, str]) -> Answer:
        if self._client is not None:
            response = self._client.post(path, data=body, content_type="application/json",
                                         headers=dict(headers), secure=self.secure)
            status, content, location = (response.status_code, response.content,
                                         response.get("Location", ""))
        else:
            response = self._session.post(self.where(path), data=body.encode(),
                                          headers={"Content-Type": "application/json",
                                                   **headers},
                                          timeout=(5, 30), allow_redirects=False)
            status, content = response.status_code, response.content
            location = response.headers.get("Location", "")
        try:
            data = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        return Answer(status, data if isinstance(data, dict) else None, location)


def _allowed_host() -> str:
    from django.conf import settings

    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h and h != "*"]
    return hosts[0] if hosts else "localhost"


def check_notify_self(report: Report, keys: Keys, *, url: str | None) -> None:
    section = report.section("Our notification endpoint (--notify-self)")
    if keys.notification_path is None or keys.private_key is None:
        section.skip("Cannot send a notification: the URLs and PRIVATE_KEY must work first "
                     "(see above).", code="notify.skipped")
        return
    if url is not None and not url:
        url = doku_settings.PUBLIC_BASE_URL
        if not url:
            section.fail("--url without a value needs PUBLIC_BASE_URL.",
                         "Give --url https://your.site, or set PUBLIC_BASE_URL.",
                         code="notify.no_url")
            return
    if url is None:
        from django.db import transaction

        section.info("In-process, through Django's test client; rolled back afterwards.")
        try:
            with transaction.atomic():
                _run(section, keys, _Sender(None))
                transaction.set_rollback(True)
        except Exception as exc:
            section.fail(f"The in-process delivery failed: {exc.__class__.__name__}: {exc}",
                         "Has `manage.py migrate` been run against this database?",
                         code="notify.crashed")
    else:
        import requests

        section.info(f"Over HTTP to {url}; the delivery is stored there like any other.")
        try:
            _run(section, keys, _Sender(url))
        except requests.RequestException as exc:
            from .live import describe_failure

            message, advice, _ = describe_failure(exc, url)
            section.fail(message, advice, code="notify.unreachable")


def _doku_key() -> rsa.RSAPrivateKey | None:
    simulator = simulator_settings()
    return simulator.private_key if simulator is not None else None


def _run(section: Section, keys: Keys, sender: _Sender) -> None:
    from ..inbound import auth

    s = doku_settings
    token_path, notify_path = keys.token_path or "", keys.notification_path or ""
    doku_key = _doku_key()
    timestamp = snap_timestamp()
    token_body = minify({"grantType": "client_credentials"})
    if doku_key is not None:
        headers = {"X-CLIENT-KEY": s.CLIENT_ID, "X-TIMESTAMP": timestamp,
                   "X-SIGNATURE": asymmetric_signature(doku_key, s.CLIENT_ID, timestamp)}
        answer = sender.post(token_path, token_body, headers)
        token = str((answer.data or {}).get("accessToken") or "")
        if answer.code != codes.B2B_TOKEN_SUCCESS or not token:
            section.fail(f"Our token endpoint {sender.where(token_path)} refused the "
                         f"simulator's DOKU-signed token request: {answer.said}.",
                         _token_advice(answer), code="notify.token_refused")
            return
        section.ok("Token leg: a token request signed with the simulator's DOKU key got "
                   f"{answer.said} and a token.")
    else:
        # Without DOKU's key: a forged request must be refused, and that is all we can know.
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        headers = {"X-CLIENT-KEY": s.CLIENT_ID, "X-TIMESTAMP": timestamp,
                   "X-SIGNATURE": asymmetric_signature(forger, s.CLIENT_ID, timestamp)}
        answer = sender.post(token_path, token_body, headers)
        if answer.code == codes.B2B_TOKEN_UNAUTHORIZED:
            section.ok(f"Token leg: {sender.where(token_path)} answers, and refuses a token "
                       f"request signed with a key that is not DOKU's ({answer.said}).")
        else:
            section.fail(f"Token leg: {sender.where(token_path)} answered a request signed "
                         f"with a key that is not DOKU's with {answer.said}.",
                         _token_advice(answer), code="notify.token_endpoint")
            if answer.code == codes.B2B_TOKEN_SUCCESS:
                return
        section.info("Not checked: that DOKU_PUBLIC_KEY is really DOKU's. Only DOKU holds the "
                     "private half, so that shows when DOKU first calls: watch the log for "
                     "'doku_allo token request refused' and the admin's Notifications.")
        token = auth.issue_token()[0]
    _notify(section, sender, notify_path, token)


def _notify(section: Section, sender: _Sender, path: str, token: str) -> None:
    from ..models import Notification
    from ..testing import notification_headers

    reference = "DOCTOR" + new_external_id()[:20]
    body = minify({
        "originalPartnerReferenceNo": reference,
        "originalReferenceNo": reference,
        "originalExternalId": new_external_id(),
        "latestTransactionStatus": "00",
        "transactionStatusDesc": "Success",
        "amount": {"value": "10000.00", "currency": "IDR"},
        "additionalInfo": {"channelId": "DIRECT_DEBIT_ALLO_SNAP", "doctor": True},
    })
    signed_path = sender.signed_path(path)
    headers = notification_headers(body, path=signed_path, token=token)
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    answer = sender.post(path, body, headers)
    stored = None
    if sender.base_url is None:
        stored = Notification.objects.filter(pk__gt=before).order_by("pk").first()
    where = sender.where(path)
    verified = answer.status not in (400, 401, 403) and not answer.code.startswith("401")
    if stored is not None:
        verified = stored.verified
    if answer.status in (301, 302, 307, 308):
        section.fail(f"{where} redirected to {answer.location!r}: DOKU does not follow "
                     "redirects.", "Give DOKU the final URL (check SECURE_SSL_REDIRECT, "
                     "APPEND_SLASH and PUBLIC_BASE_URL's scheme and host).",
                     code="notify.redirect")
    elif answer.data is None:
        section.fail(f"{where} answered HTTP {answer.status} without a SNAP answer.",
                     "Something other than django_doku_allo answered: check ALLOWED_HOSTS "
                     "(a 400), the URL configuration and any proxy.", code="notify.not_snap")
    elif not verified:
        section.fail(f"The notification was NOT verified: {answer.said}.",
                     _refusal_advice(answer, signed_path), code="notify.unverified")
    elif answer.code == codes.NOTIFICATION_PROCESSED or answer.status == 404:
        section.ok(f"The notification was verified: {answer.said} (for the doctor's made-up "
                   f"payment {reference}, as expected; nothing changed).")
    else:
        section.fail(f"The notification was verified, then answered {answer.said} "
                     f"(HTTP {answer.status}).", "A 500 stores the error and traceback on the "
                     "Notification: see it in the admin.", code="notify.processing")


def _token_advice(answer: Answer) -> str:
    if answer.data is None:
        return (f"HTTP {answer.status} without a SNAP answer: is django_doku_allo.urls "
                "included, and ALLOWED_HOSTS right?")
    return ("Check DOKU_PUBLIC_KEY (the public half of DOKU_ALLO_SIMULATOR['PRIVATE_KEY'] "
            "against the simulator), CLIENT_ID and this server's clock.")


def _refusal_advice(answer: Answer, signed_path: str) -> str:
    if answer.code == codes.NOTIFICATION_INVALID_TOKEN:
        return ("The bearer token was refused: the site must run with the same PRIVATE_KEY "
                "and NOTIFICATION_TOKEN_ISSUER as this command.")
    if "TIMESTAMP" in answer.said.upper():
        return "The site's clock and this server's differ: synchronise both (NTP)."
    if answer.code == codes.NOTIFICATION_UNAUTHORIZED:
        return (f"X-SIGNATURE was refused: the site must have the same CLIENT_SECRET, and see "
                f"the request at the path that was signed ({signed_path}); a proxy that "
                "rewrites the path breaks the signature.")
    return "See the Notification's verification error in the admin."
