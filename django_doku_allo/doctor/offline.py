"""The doctor's offline checks: every setting and key, without calling anyone."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.checks import Error
from django.urls import NoReverseMatch, reverse

from ..checks import FERNET_KEY_COMMAND, PER_PROCESS_CACHES, check_deployment, check_settings
from ..conf import ENVIRONMENTS, doku_settings, load_pem
from ..snap.errors import ConfigurationError
from .report import Report

__all__ = ["Keys", "check_offline", "fingerprint", "public_pem"]

GENERATE_RSA_KEY = ("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
                    "-out merchant-private.pem")

#: System check ids whose subject the doctor examines itself, with more to say.
_COVERED = {f"doku_allo.{i}" for i in (
    "E002", "E003", "E004", "E005", "E006", "E010", "E011", "E014", "E015",
    "W001", "W002", "W004", "W008", "W009")}


class Keys:
    """What the offline checks learnt, for the live checks that follow."""

    def __init__(self) -> None:
        self.private_key: rsa.RSAPrivateKey | None = None
        self.doku_public_key: rsa.RSAPublicKey | None = None
        self.base_url: str | None = None
        self.notification_url: str | None = None
        self.notification_path: str | None = None
        self.token_path: str | None = None


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: rsa.RSAPublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def _simulator_settings() -> Any | None:
    """The simulator's settings when this site talks to the simulator installed in it."""
    if doku_settings.ENVIRONMENT != "simulator":
        return None
    if "django_doku_allo.simulator" not in settings.INSTALLED_APPS:
        return None
    from ..simulator.conf import get_settings  # only here: the library never needs it

    try:
        return get_settings()
    except Exception:
        return None


def check_offline(report: Report, *, uploaded_public_key: str | None = None) -> Keys:
    keys = Keys()
    _where(report, keys)
    _credentials(report)
    _private_key(report, keys, uploaded_public_key)
    _doku_public_key(report, keys)
    _encryption_keys(report)
    _cache(report)
    _notification_url(report, keys)
    _system_checks(report)
    return keys


def _where(report: Report, keys: Keys) -> None:
    section = report.section("Where DOKU is")
    s = doku_settings
    if s.ENVIRONMENT not in ENVIRONMENTS:
        section.fail(f"ENVIRONMENT is {s.ENVIRONMENT!r}.",
                     f"Set DOKU_ALLO['ENVIRONMENT'] to one of {', '.join(ENVIRONMENTS)}.",
                     code="environment")
        return
    try:
        keys.base_url = s.base_url
    except ConfigurationError as exc:
        section.fail(str(exc), "Set DOKU_ALLO['BASE_URL'].", code="base_url.missing")
        return
    if not keys.base_url.startswith(("https://", "http://")):
        section.fail(f"BASE_URL {keys.base_url!r} is not an http(s) URL.",
                     "Give the scheme and host, e.g. https://api.doku.com.",
                     code="base_url.invalid")
        keys.base_url = None
        return
    section.ok(f"ENVIRONMENT {s.ENVIRONMENT!r}: DOKU is at {keys.base_url}.")
    if s.ENVIRONMENT == "production" and not keys.base_url.startswith("https://"):
        section.fail("BASE_URL is not HTTPS in production.",
                     "Leave BASE_URL unset: production defaults to https://api.doku.com.",
                     code="base_url.http")


def _credentials(report: Report) -> None:
    section = report.section("Credentials")
    s = doku_settings
    where = "DOKU's back office (Integration > API Keys)"
    if s.CLIENT_ID:
        section.ok(f"CLIENT_ID is {s.CLIENT_ID}.")
    else:
        section.fail("CLIENT_ID is not set.", f"Copy the Client ID from {where}; sandbox and "
                     "production have different ones.", code="client_id.missing")
    secret = str(s.CLIENT_SECRET or "")
    if not secret:
        section.fail("CLIENT_SECRET is not set.", f"Copy the Secret Key from {where}.",
                     code="client_secret.missing")
    elif secret != secret.strip():
        section.warn("CLIENT_SECRET begins or ends with whitespace (pasted with a newline?).",
                     "Strip it: DOKU's signatures would not match.",
                     code="client_secret.whitespace")
    else:
        section.ok(f"CLIENT_SECRET is set ({len(secret)} characters; not shown).")


def _load_private_key(section: Any, pem: str) -> rsa.RSAPrivateKey | None:
    password = doku_settings.PRIVATE_KEY_PASSWORD
    raw = password.encode() if isinstance(password, str) else password
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii", "replace"), password=raw)
    except TypeError as exc:
        if "not encrypted" in str(exc):
            section.fail("PRIVATE_KEY is not encrypted, but PRIVATE_KEY_PASSWORD is set.",
                         "Remove PRIVATE_KEY_PASSWORD, or give the encrypted key.",
                         code="private_key.password_unneeded")
        else:
            section.fail("PRIVATE_KEY is encrypted and PRIVATE_KEY_PASSWORD is not set.",
                         "Set DOKU_ALLO['PRIVATE_KEY_PASSWORD'] to its passphrase (from the "
                         "environment, not the code).", code="private_key.password_missing")
        return None
    except ValueError as exc:
        if raw is not None and "ENCRYPTED" in pem:
            section.fail("PRIVATE_KEY cannot be decrypted with PRIVATE_KEY_PASSWORD "
                         "(wrong password?).",
                         "Check PRIVATE_KEY_PASSWORD; `openssl pkey -in KEY -noout` asks for "
                         "the passphrase and tells whether it is right.",
                         code="private_key.password_wrong")
        else:
            section.fail(f"PRIVATE_KEY is not a readable PEM private key ({exc}).",
                         "Give the whole PEM, from -----BEGIN to -----END, with its line "
                         "breaks (PKCS#8 or PKCS#1), or the path of the file holding it.",
                         code="private_key.malformed")
        return None
    except Exception as exc:  # an unsupported algorithm, a truncated DER...
        section.fail(f"PRIVATE_KEY cannot be loaded ({exc.__class__.__name__}).",
                     "Give an RSA private key in PEM.", code="private_key.malformed")
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        section.fail(f"PRIVATE_KEY is a {key.__class__.__name__}, not an RSA key.",
                     f"SNAP signs with SHA256withRSA: make an RSA key, e.g. {GENERATE_RSA_KEY}.",
                     code="private_key.not_rsa")
        return None
    return key


def _private_key(report: Report, keys: Keys, uploaded: str | None) -> None:
    section = report.section("Merchant private key (PRIVATE_KEY)")
    s = doku_settings
    if not s.PRIVATE_KEY:
        section.fail("PRIVATE_KEY is not set.",
                     f"Make a key pair ({GENERATE_RSA_KEY}), set PRIVATE_KEY to the file's path, "
                     "and upload the public half this command then prints to DOKU's back "
                     "office.", code="private_key.missing")
        return
    try:
        pem = load_pem(s.PRIVATE_KEY)
    except ConfigurationError as exc:
        section.fail(f"PRIVATE_KEY: {exc}.",
                     "Check the path, and that the user running Django may read the file "
                     "(and nobody else: chmod 600).", code="private_key.unreadable")
        return
    key = _load_private_key(section, pem)
    if key is None:
        return
    from ..conf import merchant_private_key
    from ..snap.signing import asymmetric_signature, verify_asymmetric_signature

    try:
        merchant_private_key()
    except ConfigurationError as exc:  # pragma: no cover - same loader, belt and braces
        section.fail(str(exc), code="private_key.app_loader")
        return
    public = key.public_key()
    stamp = "2000-01-01T00:00:00+07:00"
    if not verify_asymmetric_signature(public, "doctor", stamp,
                                       asymmetric_signature(key, "doctor", stamp)):
        section.fail("PRIVATE_KEY signs, but its signature does not verify with its own public "
                     "half.", "The key is damaged: make a new pair.", code="private_key.broken")
        return
    encrypted = " (decrypted with PRIVATE_KEY_PASSWORD)" if s.PRIVATE_KEY_PASSWORD else ""
    section.ok(f"PRIVATE_KEY loads: RSA {key.key_size} bits{encrypted}, and signs.")
    if key.key_size < 2048:
        section.warn(f"The key has only {key.key_size} bits.",
                     f"Make a 2048-bit key: {GENERATE_RSA_KEY}.", code="private_key.short")
    keys.private_key = key
    section.info(f"Its public half ({fingerprint(public)}); upload this to DOKU's back office "
                 "as the merchant public key:", detail=public_pem(public))
    _compare_uploaded(section, public, uploaded)


def _compare_uploaded(section: Any, public: rsa.RSAPublicKey, uploaded: str | None) -> None:
    from ..snap.signing import load_public_key

    sources: list[tuple[str, Any]] = []
    if uploaded:
        try:
            sources.append((f"the key in {uploaded}", load_public_key(load_pem(uploaded))))
        except (ConfigurationError, ValueError, TypeError) as exc:
            section.fail(f"--public-key {uploaded}: cannot be loaded ({exc}).",
                         code="private_key.uploaded_unreadable")
    simulator = _simulator_settings()
    if simulator is not None and simulator.merchant_public_key is not None:
        sources.append(("the simulator's merchant key (DOKU_ALLO_SIMULATOR)",
                        simulator.merchant_public_key))
    for name, other in sources:
        if other.public_numbers() == public.public_numbers():
            section.ok(f"It matches {name}.")
        else:
            section.fail(f"It does not match {name} ({fingerprint(other)}): DOKU will refuse "
                         "every token request with 4017300 Invalid Signature.",
                         "Upload the public key printed above to DOKU, or set PRIVATE_KEY to "
                         "the private half of the key DOKU has.", code="private_key.mismatch")
    if not sources:
        section.info("The key uploaded to DOKU cannot be seen from here.",
                     "Compare it with the PEM above, pass it with --public-key FILE, or run "
                     "--live: a 4017300 Invalid Signature means they differ.")


def _doku_public_key(report: Report, keys: Keys) -> None:
    from ..snap.signing import load_public_key

    section = report.section("DOKU's public key (DOKU_PUBLIC_KEY)")
    value = doku_settings.DOKU_PUBLIC_KEY
    if not value:
        section.fail("DOKU_PUBLIC_KEY is not set: DOKU's token requests before each "
                     "notification will be refused, so no notification gets through.",
                     "Download DOKU's public key from DOKU's back office and give it as PEM "
                     "text or a file path.", code="doku_public_key.missing")
        return
    try:
        pem = load_pem(value)
    except ConfigurationError as exc:
        section.fail(f"DOKU_PUBLIC_KEY: {exc}.", "Check the path and the file's permissions.",
                     code="doku_public_key.unreadable")
        return
    if "PRIVATE KEY-----" in pem:
        section.fail("DOKU_PUBLIC_KEY holds a private key.",
                     "It is DOKU's public key, downloaded from DOKU's back office. If this is "
                     "your own private key, keep it secret and out of this setting.",
                     code="doku_public_key.is_private")
        return
    try:
        key = load_public_key(pem)
    except (ValueError, TypeError) as exc:
        section.fail(f"DOKU_PUBLIC_KEY is not a readable RSA public key in PEM ({exc}).",
                     "Give the whole PEM, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC "
                     "KEY-----, with its line breaks.", code="doku_public_key.malformed")
        return
    mine = keys.private_key.public_key() if keys.private_key is not None else None
    if mine is not None and mine.public_numbers() == key.public_numbers():
        section.fail("DOKU_PUBLIC_KEY is the public half of your own PRIVATE_KEY.",
                     "Put DOKU's public key here (from DOKU's back office), not yours.",
                     code="doku_public_key.own_key")
        return
    keys.doku_public_key = key
    section.ok(f"DOKU_PUBLIC_KEY loads: RSA {key.key_size} bits, {fingerprint(key)}.")
    simulator = _simulator_settings()
    if simulator is not None and simulator.private_key is not None:
        if simulator.private_key.public_key().public_numbers() == key.public_numbers():
            section.ok("It is the simulator's key (DOKU_ALLO_SIMULATOR['PRIVATE_KEY']).")
        else:
            section.fail("It is not the public half of the simulator's private key: the "
                         "simulator's notifications will be refused.",
                         "Set DOKU_PUBLIC_KEY to the public half of "
                         "DOKU_ALLO_SIMULATOR['PRIVATE_KEY'].", code="doku_public_key.mismatch")


def _encryption_keys(report: Report) -> None:
    from cryptography.fernet import Fernet

    section = report.section("Customer token encryption (TOKEN_ENCRYPTION_KEYS)")
    keys = doku_settings.TOKEN_ENCRYPTION_KEYS
    if isinstance(keys, (str, bytes)):
        keys = [keys]
    make = f"Make a key with: {FERNET_KEY_COMMAND}"
    if not keys:
        section.fail("TOKEN_ENCRYPTION_KEYS is empty: customer tokens cannot be stored, so no "
                     "account can be bound.",
                     f"{make} and set TOKEN_ENCRYPTION_KEYS to [that key] (from the "
                     "environment; keep it secret and never lose it).", code="fernet.empty")
        return
    bad = []
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            bad.append(number)
    if bad:
        which = ", ".join(f"#{n}" for n in bad)
        section.fail(f"TOKEN_ENCRYPTION_KEYS {which} of {len(keys)} is not a Fernet key "
                     "(32 url-safe base64-encoded bytes, 44 characters).",
                     f"{make}. To replace a key that already encrypted tokens, put the new key "
                     "first and run `manage.py doku_allo_rotate_keys` before removing the old.",
                     code="fernet.invalid")
        return
    if len(set(keys)) != len(keys):
        section.warn("TOKEN_ENCRYPTION_KEYS lists a key twice.", "Remove the duplicate.",
                     code="fernet.duplicate")
    from ..crypto import decrypt, encrypt

    probe = secrets.token_hex(8)
    if decrypt(encrypt(probe)) != probe:  # pragma: no cover - Fernet either works or raises
        section.fail("Encrypting and decrypting with TOKEN_ENCRYPTION_KEYS fails.")
        return
    section.ok(f"{len(keys)} Fernet key{'s' if len(keys) != 1 else ''}, valid; the first "
               "encrypts.")


def _cache(report: Report) -> None:
    from django.core.cache import caches

    section = report.section("B2B token cache (CACHE_ALIAS)")
    alias = doku_settings.CACHE_ALIAS
    configured = getattr(settings, "CACHES", {})
    if alias not in configured:
        section.fail(f"CACHE_ALIAS {alias!r} names no cache in settings.CACHES.",
                     f"Add it to CACHES or set CACHE_ALIAS to one of "
                     f"{', '.join(sorted(configured)) or 'default'}.", code="cache.unknown")
        return
    backend = str(configured[alias].get("BACKEND", ""))
    short = backend.rsplit(".", 1)[-1]
    shared = ("Use a cache every process shares: Redis "
              "(django.core.cache.backends.redis.RedisCache), Memcached, or the database "
              "cache (`manage.py createcachetable`).")
    if backend.endswith("DummyCache"):
        section.fail(f"The cache {alias!r} is DummyCache, which keeps nothing: every call "
                     "asks DOKU for a new B2B token.", shared, code="cache.dummy")
        return
    if backend in PER_PROCESS_CACHES:
        message = (f"The cache {alias!r} is {short}, which keeps one copy per process: every "
                   "worker fetches its own B2B token and the refresh lock holds only within "
                   "one process.")
        if doku_settings.ENVIRONMENT == "simulator":
            section.warn(message, shared + " (Fine for one development process.)",
                         code="cache.per_process")
        else:
            section.fail(message, shared, code="cache.per_process")
    key = f"doku_allo:doctor:{secrets.token_hex(6)}"
    try:
        cache = caches[alias]
        cache.set(key, "ok", 30)
        answered = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        section.fail(f"The cache {alias!r} ({short}) does not answer: "
                     f"{exc.__class__.__name__}: {exc}", "Is the cache server running and "
                     "reachable from here? Check LOCATION in settings.CACHES.",
                     code="cache.down")
        return
    if answered != "ok":
        section.fail(f"The cache {alias!r} ({short}) did not keep a value for a second.",
                     shared, code="cache.forgets")
    elif backend not in PER_PROCESS_CACHES:
        where = " (shared by the processes of this host only)" if "filebased" in backend else ""
        section.ok(f"The cache {alias!r} is {short}{where}, and answers.")


def _notification_url(report: Report, keys: Keys) -> None:
    section = report.section("Notification URL")
    env = doku_settings.ENVIRONMENT
    try:
        keys.notification_path = reverse("doku_allo:notification")
        keys.token_path = reverse("doku_allo:token")
    except NoReverseMatch:
        section.fail("django_doku_allo.urls is not included in ROOT_URLCONF: DOKU has nowhere "
                     "to send notifications.",
                     'Add path("doku-allo/", include("django_doku_allo.urls")) to your URLs.',
                     code="notification_url.no_urls")
        return
    base = doku_settings.PUBLIC_BASE_URL
    example = "Set DOKU_ALLO['PUBLIC_BASE_URL'] to the site's address, e.g. " \
              "'https://shop.example.com'"
    if not base:
        message = ("PUBLIC_BASE_URL is not set: the notification URL to give DOKU cannot be "
                   "told, and return URLs follow each request's Host header.")
        if env == "simulator":
            section.warn(message, example + ".", code="notification_url.missing")
        else:
            section.fail(message, example + ".", code="notification_url.missing")
        section.info(f"The notification path is {keys.notification_path}.")
        return
    parts = urlsplit(str(base))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        section.fail(f"PUBLIC_BASE_URL {base!r} is not an absolute http(s) URL.",
                     example + " (scheme and host, no path to a page).",
                     code="notification_url.relative")
        return
    if parts.query or parts.fragment:
        section.fail(f"PUBLIC_BASE_URL {base!r} has a query or fragment.", example + ".",
                     code="notification_url.query")
        return
    keys.notification_url = str(base).rstrip("/") + keys.notification_path
    if parts.scheme != "https":
        message = (f"The notification URL {keys.notification_url} is not HTTPS: DOKU's "
                   "notifications would travel in the clear.")
        advice = "Serve the site over HTTPS and set PUBLIC_BASE_URL to its https:// address."
        if env == "production":
            section.fail(message, advice, code="notification_url.http")
        elif env == "sandbox":
            section.warn(message, advice + " DOKU may refuse a plain-HTTP notification URL.",
                         code="notification_url.http")
    host = parts.hostname or ""
    if env != "simulator" and (host in ("localhost", "::1") or host.startswith("127.")):
        section.warn(f"PUBLIC_BASE_URL names {host}: DOKU cannot reach this machine's "
                     "loopback address.", "Use the public host name.",
                     code="notification_url.loopback")
    section.ok(f"Notification URL: {keys.notification_url}",
               "Configure this as the Notification URL in DOKU's back office. DOKU first asks "
               f"for a token at {str(base).rstrip('/')}{keys.token_path}.")


def _system_checks(report: Report) -> None:
    section = report.section("Other settings (system checks, including --deploy)")
    simulator = doku_settings.ENVIRONMENT == "simulator"
    messages = [m for m in [*check_settings(), *check_deployment()] if m.id not in _COVERED]
    for message in messages:
        text = f"{message.id}: {message.msg}"
        if isinstance(message, Error):
            section.fail(text, message.hint or "", code=message.id)
        elif simulator:
            section.info(text, (message.hint or "") + " (Fine against the simulator; fix "
                         "before going live.)", code=message.id)
        else:
            section.warn(text, message.hint or "", code=message.id)
    if not messages:
        section.ok("Every other DOKU_ALLO setting passes `manage.py check --deploy`.")
