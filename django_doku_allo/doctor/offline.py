"""The doctor's offline checks: every setting and key, without calling anyone."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error
from django.urls import NoReverseMatch, reverse

from ..checks import FERNET_KEY_COMMAND, PER_PROCESS_CACHES, check_deployment, check_settings
from ..conf import ENVIRONMENTS, doku_settings
from ..snap.errors import ConfigurationError
from .keys import Keys, check_doku_public_key, check_private_key
from .report import Report

__all__ = ["check_offline"]

#: System check ids whose subject the doctor examines itself, with more to say.
_COVERED = {f"doku_allo.{i}" for i in (
    "E002", "E003", "E004", "E005", "E006", "E010", "E011", "E014", "E015",
    "W001", "W002", "W004", "W008", "W009")}


def check_offline(report: Report, *, uploaded_public_key: str | None = None) -> Keys:
    keys = Keys()
    _where(report, keys)
    _credentials(report)
    check_private_key(report, keys, uploaded_public_key)
    check_doku_public_key(report, keys)
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


def _encryption_keys(report: Report) -> None:
    from cryptography.fernet import Fernet

    section = report.section("Customer token encryption (TOKEN_ENCRYPTION_KEYS)")
    keys = doku_settings.TOKEN_ENCRYPTION_KEYS
    if isinstance(keys, (str, bytes)):
        keys = [keys]
    if not keys:
        section.fail("TOKEN_ENCRYPTION_KEYS is empty: customer tokens cannot be stored, so no "
                     "account can be bound.",
                     "Make a key with the command below and set TOKEN_ENCRYPTION_KEYS to "
                     "[that key] (from the environment; keep it secret and never lose it).",
                     detail=FERNET_KEY_COMMAND, code="fernet.empty")
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
                     "Make a key with the command below. To replace a key that already "
                     "encrypted tokens, put the new key first and run `manage.py "
                     "doku_allo_rotate_keys` before removing the old.",
                     detail=FERNET_KEY_COMMAND, code="fernet.invalid")
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
