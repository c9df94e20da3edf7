"""SNAP signatures, timestamps, external ids and the canonical JSON body.

Everything here is pure: no Django, no network. The functions named in README
(``snap_timestamp``, ``new_external_id``, ``minify``, ``asymmetric_signature``,
``verify_asymmetric_signature``, ``symmetric_signature``,
``verify_symmetric_signature``) are public API.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .strict_json import reject_constant

__all__ = [
    "EMPTY_BODY_SHA256",
    "JAKARTA",
    "asymmetric_request_signature",
    "asymmetric_signature",
    "body_sha256_hex",
    "load_private_key",
    "load_public_key",
    "minify",
    "new_external_id",
    "parse_snap_timestamp",
    "snap_timestamp",
    "symmetric_signature",
    "symmetric_string_to_sign",
    "verify_asymmetric_request_signature",
    "verify_asymmetric_signature",
    "verify_symmetric_signature",
]

#: Western Indonesia Time. Indonesia keeps no daylight saving, so a fixed offset is exact.
JAKARTA = timezone(timedelta(hours=7), "WIB")

#: SHA-256 of the empty string: the body hash SNAP prescribes for a request without a body.
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()

JsonBody = dict[str, Any] | list[Any] | str | bytes | None
PemKey = str | bytes | rsa.RSAPrivateKey | rsa.RSAPublicKey

_TIMESTAMP_RE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)


# --------------------------------------------------------------------------- time and ids
def snap_timestamp(dt: datetime | None = None) -> str:
    """Return ``dt`` (default: now) as an X-TIMESTAMP: ``2026-11-24T10:15:30+07:00``.

    The value is written in Jakarta time with an explicit offset and whole seconds,
    the form DOKU's own samples use. A naive ``dt`` is taken to be UTC.
    """
    if dt is None:
        dt = datetime.now(timezone.utc)
    elif dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(JAKARTA).replace(microsecond=0).isoformat()


def parse_snap_timestamp(value: str) -> datetime:
    """Parse an X-TIMESTAMP (offset or ``Z``, optional fraction) into an aware UTC datetime.

    Raises ``ValueError`` for anything else, including a timestamp without a zone
    (a zone-less time cannot be checked against a replay window) and one that has no
    UTC equivalent (``0001-01-01T00:00:00+14:00`` would be year 0 in UTC).
    """
    # fullmatch with ASCII digits: ``$`` would let a trailing newline through and ``\d``
    # would accept non-ASCII digits that fromisoformat then rejects with a different error.
    match = _TIMESTAMP_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a SNAP timestamp (yyyy-MM-ddTHH:mm:ss+07:00): {value!r}")
    seconds, fraction, zone = match.groups()
    # Python 3.10's fromisoformat takes only 3 or 6 fraction digits: normalise to 6.
    text = seconds + (f".{fraction:0<6}" if fraction else "") + (
        "+00:00" if zone == "Z" else zone)
    try:
        return datetime.fromisoformat(text).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(f"not a valid SNAP timestamp: {value!r}") from None


def new_external_id() -> str:
    """A fresh X-EXTERNAL-ID: 24 decimal digits from ``secrets``.

    SNAP allows 36 characters for the header but 32 for ``originalExternalId`` in a
    status inquiry, so 24 fits everywhere. 10^23 values make a collision within a
    day negligible; the first digit is never 0 so the id survives numeric parsing.
    """
    return str(10**23 + secrets.randbelow(9 * 10**23))


# --------------------------------------------------------------------------- the body
def _parse_json_text(text: str | bytes) -> Any:
    # Not strict_json.parse_json_object: minify takes any JSON value (a list too)
    # and lets a repeated key's last value win, as it always has; only the NaN
    # refusal is shared.
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return json.loads(text, parse_constant=reject_constant)


def minify(body: JsonBody) -> str:
    """The exact compact JSON text that is hashed and sent.

    A dict or list is serialised once: no insignificant whitespace, keys in
    insertion order, non-ASCII as raw UTF-8, ``/`` unescaped (Python never escapes
    it), NaN and Infinity refused. JSON text (``str``/``bytes``) is parsed and
    re-serialised the same way, which is how DOKU canonicalises what it receives.
    ``None`` and the empty string mean "no body" and give ``""``.
    """
    if body is None or body in ("", b""):
        return ""
    if isinstance(body, (str, bytes)):
        body = _parse_json_text(body)
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # A lone surrogate serialises raw but cannot be sent as UTF-8: refuse it here, as a
    # ValueError, rather than fail later while hashing or sending.
    text.encode("utf-8")
    return text


def _strip_insignificant_whitespace(text: str) -> str:
    """Remove whitespace between JSON tokens, leaving string contents untouched.

    This is the minify of DOKU's worked example; it is how a body sent with spaces
    (DOKU's Python SDK sends ``json.dumps`` defaults) still matches the compact
    text that was signed.
    """
    out: list[str] = []
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif char not in " \t\r\n":
            out.append(char)
    return "".join(out)


def body_sha256_hex(body: JsonBody) -> str:
    """Lowercase hex SHA-256 of ``minify(body)``."""
    return hashlib.sha256(minify(body).encode("utf-8")).hexdigest()


def _received_body_digests(body: JsonBody) -> list[str]:
    """Hashes a received body may legitimately have been signed over.

    (a) the raw text with inter-token whitespace removed (DOKU's documented minify;
    matches senders that sign compact ASCII-escaped text), and (b) the parsed and
    re-serialised canonical form (matches senders whose wire escaping differs from
    what they signed, e.g. ``\\/``). Garbage yields only what can be computed.
    """
    if body is None or isinstance(body, (dict, list)):
        return [body_sha256_hex(body)]
    text = body.decode("utf-8", errors="surrogateescape") if isinstance(body, bytes) else body
    digests = [hashlib.sha256(_strip_insignificant_whitespace(text).encode("utf-8",
               errors="surrogateescape")).hexdigest()]
    try:
        canonical = body_sha256_hex(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return digests
    if canonical not in digests:
        digests.append(canonical)
    return digests


# --------------------------------------------------------------------------- keys
def load_private_key(key: PemKey, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM text (PKCS#8 or PKCS#1) or pass one through."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    data = key.encode("ascii") if isinstance(key, str) else key
    loaded = serialization.load_pem_private_key(data, password=password)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("the private key is not an RSA key; SNAP signs with SHA256withRSA")
    return loaded


def load_public_key(key: PemKey) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM (SubjectPublicKeyInfo or PKCS#1) or pass one through."""
    if isinstance(key, rsa.RSAPublicKey):
        return key
    if isinstance(key, rsa.RSAPrivateKey):
        return key.public_key()
    data = key.encode("ascii") if isinstance(key, str) else key
    loaded = serialization.load_pem_public_key(data)
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise ValueError("the public key is not an RSA key; SNAP verifies SHA256withRSA")
    return loaded


def _rsa_sign(private_key: PemKey, message: str) -> str:
    key = load_private_key(private_key)
    signature = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def _rsa_verify(public_key: PemKey, message: str, signature: str) -> bool:
    try:
        key = load_public_key(public_key)
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
        key.verify(raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError, AttributeError, binascii.Error,
            UnicodeError, UnsupportedAlgorithm):
        return False
    except Exception:
        # A verifier answers yes or no; whatever a hostile key or signature provokes
        # inside the crypto library is a no.
        return False
    return True


# --------------------------------------------------------------------------- signatures
def asymmetric_signature(private_key_pem: PemKey, client_id: str, timestamp: str) -> str:
    """X-SIGNATURE of a token request: base64(SHA256withRSA(key, ``clientId|timestamp``))."""
    return _rsa_sign(private_key_pem, f"{client_id}|{timestamp}")


def verify_asymmetric_signature(
    public_key_pem: PemKey, client_id: str, timestamp: str, signature: str
) -> bool:
    """True when ``signature`` is a valid token-request signature; never raises."""
    if not all(isinstance(v, str) for v in (client_id, timestamp, signature)):
        return False
    try:
        return _rsa_verify(public_key_pem, f"{client_id}|{timestamp}", signature)
    except Exception:
        return False


def symmetric_string_to_sign(
    method: str, path: str, access_token: str, body_digest: str, timestamp: str
) -> str:
    """``METHOD:path:token:sha256hex(minify(body)):timestamp`` with the bare token."""
    token = access_token.removeprefix("Bearer ").strip()
    return f"{method.upper()}:{path}:{token}:{body_digest}:{timestamp}"


def _hmac_b64(client_secret: str, message: str) -> str:
    digest = hmac.new(client_secret.encode("utf-8"), message.encode("utf-8"),
                      hashlib.sha512).digest()
    return base64.b64encode(digest).decode("ascii")


def symmetric_signature(
    client_secret: str,
    method: str,
    path: str,
    access_token: str,
    body: JsonBody,
    timestamp: str,
) -> str:
    """X-SIGNATURE of a transactional call: base64(HMAC-SHA512(secret, stringToSign)).

    ``body`` is hashed as ``minify(body)``: pass the dict you are about to send, or
    the exact compact text. ``access_token`` may carry a ``Bearer `` prefix; it is
    removed, as SNAP signs the bare token.
    """
    message = symmetric_string_to_sign(method, path, access_token, body_sha256_hex(body),
                                       timestamp)
    return _hmac_b64(client_secret, message)


def _constant_time_any(expected: Iterable[str], signature: str) -> bool:
    given = signature.encode("utf-8", errors="surrogateescape")
    matched = False
    for candidate in expected:
        # Evaluate every candidate so timing does not reveal which form matched.
        matched |= hmac.compare_digest(candidate.encode("ascii"), given)
    return matched


def verify_symmetric_signature(
    client_secret: str,
    method: str,
    path: str,
    access_token: str,
    body: JsonBody,
    timestamp: str,
    signature: str,
) -> bool:
    """True when ``signature`` signs this request; constant-time, never raises.

    A received body (``str``/``bytes``) is accepted when it was signed over either
    its whitespace-stripped text or its canonical re-serialisation: DOKU's own SDKs
    sign the one and send the other.
    """
    try:
        if not all(isinstance(v, str) for v in (client_secret, method, path, access_token,
                                                 timestamp, signature)):
            return False
        expected = [
            _hmac_b64(client_secret,
                      symmetric_string_to_sign(method, path, access_token, digest, timestamp))
            for digest in _received_body_digests(body)
        ]
        return _constant_time_any(expected, signature)
    except Exception:
        return False


def _asymmetric_request_string(method: str, path: str, body_digest: str, timestamp: str) -> str:
    return f"{method.upper()}:{path}:{body_digest}:{timestamp}"


def asymmetric_request_signature(
    private_key_pem: PemKey, method: str, path: str, body: JsonBody, timestamp: str
) -> str:
    """SNAP's asymmetric transactional signature (``METHOD:path:hash:timestamp``, RSA).

    DOKU's older notification samples carry this form; it is optional on the
    notification endpoint (``NOTIFICATION_ACCEPT_ASYMMETRIC_SIGNATURE``).
    """
    return _rsa_sign(private_key_pem,
                     _asymmetric_request_string(method, path, body_sha256_hex(body), timestamp))


def verify_asymmetric_request_signature(
    public_key_pem: PemKey, method: str, path: str, body: JsonBody, timestamp: str,
    signature: str,
) -> bool:
    """True when ``signature`` is a valid asymmetric transactional signature; never raises."""
    try:
        return any(
            _rsa_verify(public_key_pem,
                        _asymmetric_request_string(method, path, digest, timestamp), signature)
            for digest in _received_body_digests(body)
        )
    except Exception:
        return False
