"""``--live``: ask the configured DOKU for a B2B token, and explain every failure in words.

Then, with the token, one read-only status inquiry for a reference that does not exist:
the only harmless call that proves DOKU accepts the symmetric signature made with
``CLIENT_SECRET`` (the token request itself does not use the secret).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from ..conf import build_snap_config, doku_settings
from ..snap import codes
from ..snap.signing import asymmetric_signature, new_external_id, parse_snap_timestamp
from ..snap.signing import snap_timestamp as _snap_timestamp
from ..snap.transport import DeadlineExceeded, HttpReply, Transport
from .keys import Keys, fingerprint
from .report import Report, Section

__all__ = ["check_live", "now"]

#: Clock skew (seconds) worth a warning, and beyond which DOKU is likely to refuse.
SKEW_WARNING = 5.0
SKEW_FAILURE = 60.0


def now() -> float:
    """This server's clock (a seam: the tests move it to play a skewed clock)."""
    return time.time()


def check_live(report: Report, keys: Keys) -> None:
    section = report.section("DOKU, live (--live)")
    s = doku_settings
    if keys.base_url is None or keys.private_key is None or not s.CLIENT_ID:
        section.skip("Cannot ask DOKU for a token: BASE_URL, CLIENT_ID and PRIVATE_KEY must "
                     "work first (see above).", code="live.skipped")
        return
    config = build_snap_config()
    url = config.url("b2b_token")
    transport = Transport(connect_timeout=float(s.CONNECT_TIMEOUT),
                          read_timeout=float(s.READ_TIMEOUT), deadline=float(s.DEADLINE),
                          max_response_bytes=1_000_000, user_agent="django-doku-allo doctor")
    started = now()
    timestamp = _snap_timestamp(datetime.fromtimestamp(started, timezone.utc))
    signed = f"{s.CLIENT_ID}|{timestamp}"
    headers = {"Content-Type": "application/json", "X-CLIENT-KEY": s.CLIENT_ID,
               "X-TIMESTAMP": timestamp,
               "X-SIGNATURE": asymmetric_signature(keys.private_key, s.CLIENT_ID, timestamp)}
    section.info(f"POST {url}")
    try:
        reply = transport.post(url, b'{"grantType":"client_credentials"}', headers)
    except Exception as exc:
        message, advice, code = describe_failure(exc, url)
        section.fail(message, advice, code=code)
        return
    finally:
        transport.session.close()
    skew = _clock(section, reply, started, now())
    if _token_answer(section, reply, signed, skew, keys):
        _signature_probe(section, config)


# --------------------------------------------------------------------------- transport failures
def _causes(exc: BaseException) -> list[Any]:
    """``exc`` and everything it wraps (causes, contexts, urllib3's ``reason``, args)."""
    seen: list[Any] = []
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        if isinstance(item, BaseException):
            todo += [item.__cause__, item.__context__, getattr(item, "reason", None),
                     *[a for a in item.args if isinstance(a, BaseException)]]
    return seen


def describe_failure(exc: BaseException, url: str) -> tuple[str, str, str]:
    """(what happened, what to do, code) for an exchange that got no HTTP answer."""
    parts = urlsplit(url)
    host, port = parts.hostname or "?", parts.port or (443 if parts.scheme == "https" else 80)
    s = doku_settings
    chain = _causes(exc)

    def has(*types: type) -> Any:
        return next((c for c in chain if isinstance(c, types)), None)

    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return (f"DNS failure: the name {host} cannot be resolved from this server.",
                "Check the host in BASE_URL (unset it to use DOKU's default for ENVIRONMENT), "
                "this server's DNS resolver (/etc/resolv.conf) and any egress proxy.",
                "live.dns")
    tls = has(ssl.SSLError, requests.exceptions.SSLError, urllib3.exceptions.SSLError)
    if tls is not None:
        text = str(tls)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            advice = ("The certificate DOKU's host presented is not trusted here: update the "
                      "CA certificates (ca-certificates, certifi), check REQUESTS_CA_BUNDLE, "
                      "and whether a TLS-inspecting proxy sits in between.")
        elif "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
            advice = (f"{host}:{port} does not speak TLS: is BASE_URL https:// pointing at a "
                      "plain-HTTP port, or is a proxy in the way?")
        else:
            advice = ("Check BASE_URL's host and port, the CA certificates, and any proxy "
                      "between this server and DOKU.")
        return f"TLS error talking to {host}:{port}: {_short(text)}", advice, "live.tls"
    if has(ConnectionRefusedError):
        return (f"Connection refused by {host}:{port}: nothing listens there.",
                "Check the host and port in BASE_URL (and that the simulator or proxy is "
                "running, if BASE_URL points at one).", "live.refused")
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: a refusal is handled above.
    connect_timeout = has(requests.exceptions.ConnectTimeout,
                          urllib3.exceptions.ConnectTimeoutError)
    if connect_timeout is not None and not isinstance(connect_timeout,
                                                      urllib3.exceptions.NewConnectionError):
        return (f"Timeout: no connection to {host}:{port} within CONNECT_TIMEOUT "
                f"{float(s.CONNECT_TIMEOUT):g} s.",
                "A firewall or egress rule is dropping the connection, or the host is down. "
                "DOKU may need this server's public IP on its allowlist.", "live.timeout")
    if has(DeadlineExceeded, requests.exceptions.ReadTimeout, socket.timeout, TimeoutError):
        return (f"Timeout: {host} accepted the connection but sent no complete answer within "
                f"READ_TIMEOUT {float(s.READ_TIMEOUT):g} s / DEADLINE {float(s.DEADLINE):g} s.",
                "DOKU is slow or something in between holds the request; try again, and "
                "raise READ_TIMEOUT only if DOKU is known to be slow.", "live.timeout")
    if has(urllib3.exceptions.NewConnectionError, ConnectionError, OSError):
        return (f"Cannot connect to {host}:{port}: {_short(str(exc.__cause__ or exc))}",
                "Check BASE_URL and this server's network route to DOKU.", "live.unreachable")
    return (f"The exchange with {host} broke: {exc.__class__.__name__}: {_short(str(exc))}",
            "Try again; if it persists, check the network between this server and DOKU.",
            "live.broken")


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------- the answer
def _server_time(reply: HttpReply) -> tuple[datetime, str] | None:
    headers = {k.lower(): v for k, v in reply.headers.items()}
    if headers.get("x-timestamp"):
        try:
            return parse_snap_timestamp(headers["x-timestamp"].strip()), "X-TIMESTAMP"
        except ValueError:
            pass
    if headers.get("date"):
        try:
            return parsedate_to_datetime(headers["date"]).astimezone(timezone.utc), "Date"
        except (TypeError, ValueError):
            pass
    return None


def _clock(section: Section, reply: HttpReply, sent: float, received: float) -> float | None:
    found = _server_time(reply)
    if found is None:
        section.info("DOKU's answer carried no Date or X-TIMESTAMP header: clock skew not "
                     "measured.")
        return None
    server, header = found
    # Their clock read somewhere between our send and receive: compare with the middle.
    skew = (sent + received) / 2 - server.timestamp()
    # Date has whole seconds and the exchange took time: that much is no skew.
    slack = 1.0 + (received - sent) / 2
    if abs(skew) <= max(SKEW_WARNING, slack):
        section.ok(f"Clock: within {max(SKEW_WARNING, slack):.0f} s of DOKU's (from its "
                   f"{header} header).")
        return skew
    direction = "ahead of" if skew > 0 else "behind"
    message = (f"Clock skew: this server's clock is {abs(skew):.0f} s {direction} DOKU's "
               f"(measured from its {header} header).")
    advice = ("Synchronise the clock (NTP: `timedatectl set-ntp true`, chrony). DOKU refuses a "
              "request whose X-TIMESTAMP is too far from its own time, and we refuse DOKU's "
              "notifications outside NOTIFICATION_TIMESTAMP_TOLERANCE.")
    if abs(skew) >= SKEW_FAILURE:
        section.fail(message, advice, code="live.clock_skew")
    else:
        section.warn(message, advice, code="live.clock_skew")
    return skew


def _token_answer(section: Section, reply: HttpReply, signed: str, skew: float | None,
                  keys: Keys) -> bool:
    try:
        data = json.loads(reply.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("responseCode"), str):
        kind = reply.headers.get("Content-Type") or reply.headers.get("content-type") or "?"
        section.fail(f"HTTP {reply.status} ({kind}) with no SNAP answer: BASE_URL does not "
                     "lead to DOKU's token endpoint.",
                     "Check BASE_URL, PATH_PRESET and PATHS['b2b_token']; a proxy or login "
                     "page may be answering instead of DOKU." if reply.status != 404 else
                     "Nothing at that path: check BASE_URL's prefix, PATH_PRESET and "
                     "PATHS['b2b_token'].", code="live.not_snap")
        return False
    code = data["responseCode"]
    text = str(data.get("responseMessage") or "")
    said = f"{code} {text}".strip()
    if code == codes.B2B_TOKEN_SUCCESS and data.get("accessToken"):
        section.ok(f"DOKU issued a B2B token ({said}; {data.get('tokenType', 'Bearer')}, "
                   f"expires in {data.get('expiresIn', '?')} s; the token is not shown).")
        return True
    if code == codes.B2B_TOKEN_UNAUTHORIZED:
        _unauthorized(section, said, text.lower(), signed, skew, keys)
        return False
    if code.startswith(("5", "429")):
        section.fail(f"DOKU answered the token request with {said}: trouble on DOKU's side, "
                     "not in this setup.", "Try again in a few minutes.", code="live.doku_error")
        return False
    section.fail(f"DOKU refused the token request: {said} (HTTP {reply.status}).",
                 "A 400 means the request's form is wrong: check PATHS['b2b_token'] and "
                 "that BASE_URL is DOKU's.", code="live.refused_other")
    return False


def _unauthorized(section: Section, said: str, text: str, signed: str, skew: float | None,
                  keys: Keys) -> None:
    client_id = doku_settings.CLIENT_ID
    if "client" in text and ("unknown" in text or "not found" in text or "invalid" in text):
        section.fail(f"DOKU does not know the client id {client_id!r}: {said}.",
                     "Copy CLIENT_ID again from DOKU's back office: sandbox and production "
                     "have different ids, so check that ENVIRONMENT matches the credentials.",
                     code="live.unknown_client")
        return
    if "timestamp" in text or "window" in text or (skew is not None and
                                                   abs(skew) >= SKEW_FAILURE):
        measured = f" This server's clock is {skew:+.0f} s off DOKU's." if skew else ""
        section.fail(f"DOKU refused our X-TIMESTAMP: {said}.{measured}",
                     "Synchronise this server's clock (NTP), then run --live again.",
                     code="live.timestamp")
        return
    public = fingerprint(keys.private_key.public_key()) if keys.private_key else "?"
    section.fail(f"DOKU refused the signature of the token request: {said}.",
                 "DOKU verifies it with the merchant public key uploaded to its back office, "
                 f"which must be the public half of PRIVATE_KEY ({public}, printed above): "
                 "upload that one. Also check CLIENT_ID and that the string below is what "
                 "DOKU expects (clientId|X-TIMESTAMP, signed SHA256withRSA).",
                 detail=f"String signed: {signed}", code="live.signature")


def _signature_probe(section: Section, config: Any) -> None:
    from ..snap.client import AlloClient
    from ..snap.errors import ConnectFailedError, SnapError
    from ..snap.messages import CheckStatusRequest
    from ..snap.tokens import MemoryTokenStore

    # A reference nobody ever paid with: DOKU can only say "not found" (or refuse us).
    reference = "DOCTOR" + new_external_id()[:20]
    client = AlloClient(config, MemoryTokenStore())
    path = config.signed_path("check_status")
    try:
        client.check_status(CheckStatusRequest(original_partner_reference_no=reference))
    except ConnectFailedError as exc:
        section.warn(f"The CLIENT_SECRET probe could not connect: {exc}")
        return
    except SnapError as exc:
        code = exc.response_code or ""
        parsed = exc.code
        if parsed is not None and parsed.http_status == 404:
            section.ok(f"DOKU accepted our symmetric signature (CLIENT_SECRET is right): a "
                       f"status inquiry for a made-up reference got {code} "
                       f"{exc.response_message or ''}, as expected.".replace("  ", " "))
        elif code.startswith("401") and code.endswith("00"):
            section.fail(f"DOKU refused the signature made with CLIENT_SECRET: {code} "
                         f"{exc.response_message or ''}.".replace(" .", "."),
                         "Copy the Secret Key again from DOKU's back office (sandbox and "
                         "production differ). After a rotation the new secret goes in "
                         "CLIENT_SECRET and the old one in PREVIOUS_CLIENT_SECRETS.",
                         detail=f"String signed: POST:{path}:<B2B token>:"
                                "<sha256 hex of the minified body>:<X-TIMESTAMP>\n"
                                "X-SIGNATURE = base64(HMAC-SHA512(CLIENT_SECRET, that string))",
                         code="live.client_secret")
        else:
            section.warn(f"The CLIENT_SECRET probe (a status inquiry for a made-up reference) "
                         f"got {code or exc.__class__.__name__}: not conclusive.",
                         _short(str(exc)), code="live.probe_inconclusive")
        return
    finally:
        client.close()
    section.ok("DOKU accepted our symmetric signature (CLIENT_SECRET is right).")
