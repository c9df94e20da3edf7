"""System checks for ``settings.DOKU_ALLO``; ids are stable (``doku_allo.E001`` ...)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .conf import ENVIRONMENTS, doku_settings, load_pem, merchant_private_key
from .snap.config import PATH_PRESETS, Paths
from .snap.errors import ConfigurationError

SETTING = "settings.DOKU_ALLO"


@register(Tags.security, "doku_allo")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from .snap.signing import load_public_key

    s = doku_settings
    s.reset()
    found: list[CheckMessage] = []

    def error(number: int, msg: str, hint: str) -> None:
        found.append(Error(msg, hint=hint, id=f"doku_allo.E{number:03d}"))

    def warning(number: int, msg: str, hint: str) -> None:
        found.append(Warning(msg, hint=hint, id=f"doku_allo.W{number:03d}"))

    if s.ENVIRONMENT not in ENVIRONMENTS:
        error(1, f"DOKU_ALLO['ENVIRONMENT'] is {s.ENVIRONMENT!r}.",
              f"Use one of {', '.join(ENVIRONMENTS)} in {SETTING}.")
    if not s.CLIENT_ID:
        error(2, "DOKU_ALLO['CLIENT_ID'] is not set.",
              "Copy the Client ID from DOKU's dashboard (Integration > API Keys).")
    if not s.CLIENT_SECRET:
        error(3, "DOKU_ALLO['CLIENT_SECRET'] is not set.",
              "Copy the Secret Key from DOKU's dashboard (Integration > API Keys).")
    try:
        pem = load_pem(s.PRIVATE_KEY)
        if not pem:
            error(4, "DOKU_ALLO['PRIVATE_KEY'] is not set.",
                  "Give the merchant's RSA private key as PEM text or a file path.")
        else:
            merchant_private_key()
    except (ConfigurationError, ValueError, TypeError) as exc:
        error(5, f"DOKU_ALLO['PRIVATE_KEY'] cannot be loaded: {exc}",
              "Give an unencrypted RSA private key in PEM (PKCS#8 or PKCS#1), or its path.")
    try:
        public_pem = load_pem(s.DOKU_PUBLIC_KEY)
        if public_pem:
            load_public_key(public_pem)
        else:
            warning(1, "DOKU_ALLO['DOKU_PUBLIC_KEY'] is not set: DOKU's token requests "
                       "before notifications will be refused.",
                    "Copy DOKU's public key from the dashboard (PEM text or file path).")
    except (ConfigurationError, ValueError, TypeError) as exc:
        error(6, f"DOKU_ALLO['DOKU_PUBLIC_KEY'] cannot be loaded: {exc}",
              "Give DOKU's RSA public key in PEM, or its path.")
    if s.ENVIRONMENT == "simulator" and not s.BASE_URL:
        error(7, "DOKU_ALLO['ENVIRONMENT'] is 'simulator' but BASE_URL is not set.",
              "Set BASE_URL to where the simulator is mounted, e.g. "
              "'http://127.0.0.1:8000/doku-simulator'.")
    if s.ENVIRONMENT == "production" and s.BASE_URL and not str(s.BASE_URL).startswith(
            "https://"):
        warning(2, f"DOKU_ALLO['BASE_URL'] {s.BASE_URL!r} is not HTTPS in production.",
                "Use https://api.doku.com (the default for production).")
    if s.PATH_PRESET not in PATH_PRESETS:
        error(8, f"DOKU_ALLO['PATH_PRESET'] is {s.PATH_PRESET!r}.",
              f"Use one of {', '.join(PATH_PRESETS)}.")
    unknown = set(s.PATHS or {}) - set(Paths.names())
    if unknown:
        error(9, f"DOKU_ALLO['PATHS'] names unknown operations: {', '.join(sorted(unknown))}.",
              f"Known operations: {', '.join(Paths.names())}.")
    keys = s.TOKEN_ENCRYPTION_KEYS
    if not keys:
        error(10, "DOKU_ALLO['TOKEN_ENCRYPTION_KEYS'] is empty; customer tokens cannot be "
                  "stored encrypted.",
              "Add a key from cryptography.fernet.Fernet.generate_key().decode().")
    else:
        from .crypto import fernet

        try:
            fernet()
        except ConfigurationError as exc:
            error(11, str(exc), "Each key is 32 url-safe base64-encoded bytes.")
    for name in ("CONNECT_TIMEOUT", "READ_TIMEOUT", "DEADLINE"):
        value = getattr(s, name)
        if not isinstance(value, (int, float)) or value <= 0:
            error(12, f"DOKU_ALLO['{name}'] must be a positive number of seconds.",
                  f"Set {name} to e.g. {DEFAULT_TIMEOUTS[name]}.")
    if not s.NOTIFICATION_VERIFY_TOKEN and not s.NOTIFICATION_VERIFY_SIGNATURE:
        warning(3, "Both NOTIFICATION_VERIFY_TOKEN and NOTIFICATION_VERIFY_SIGNATURE are off: "
                   "anyone can forge a payment notification.",
                "Turn at least one back on in settings.DOKU_ALLO.")
    if str(s.STATUS_SERVICE_CODE) not in ("54", "55"):
        error(13, "DOKU_ALLO['STATUS_SERVICE_CODE'] must be '55' or '54'.",
              "'55' is what DOKU's SDKs send; '54' is the SNAP standard.")
    _check_tasks(s, error)
    return found


def _check_tasks(s: Any, error: Any) -> None:
    """E014-E016: background tasks and the HTTP pool (see docs/tasks.md)."""
    if s.STATUS_CHECK_TASKS or s.SIGNALS_VIA_TASKS:
        from .tasks import tasks_api

        api = tasks_api()
        if api is None:
            error(14, "DOKU_ALLO['STATUS_CHECK_TASKS'] or ['SIGNALS_VIA_TASKS'] is on, but "
                      "neither django.tasks (Django 6.0) nor django_tasks is importable.",
                  "pip install django-tasks (and a backend, e.g. django-tasks-db), or turn "
                  "both settings off.")
        else:
            try:
                backend = api.task_backends[s.TASK_BACKEND]
            except Exception as exc:
                error(14, f"DOKU_ALLO['TASK_BACKEND'] {s.TASK_BACKEND!r} is not a usable task "
                          f"backend: {exc}", "Name a backend of settings.TASKS.")
            else:
                if s.STATUS_CHECK_TASKS and not backend.supports_defer:
                    error(14, f"The task backend {s.TASK_BACKEND!r} cannot run a task later "
                              "(run_after), which STATUS_CHECK_TASKS needs.",
                          "Use e.g. django_tasks_db.DatabaseBackend, or turn "
                          "STATUS_CHECK_TASKS off.")
    backoff = s.STATUS_CHECK_BACKOFF
    attempts = s.STATUS_CHECK_MAX_ATTEMPTS
    if not isinstance(backoff, (list, tuple)) or not backoff or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in backoff):
        error(15, "DOKU_ALLO['STATUS_CHECK_BACKOFF'] must be a non-empty list of positive "
                  "seconds.", "Set it to e.g. [120, 300, 900, 3600] (the last one repeats).")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        error(15, "DOKU_ALLO['STATUS_CHECK_MAX_ATTEMPTS'] must be a positive integer.",
              "Set it to e.g. 30 (about a day with the default backoff).")
    pool = s.HTTP_POOL_SIZE
    if not isinstance(pool, int) or isinstance(pool, bool) or pool < 1:
        error(16, "DOKU_ALLO['HTTP_POOL_SIZE'] must be a positive integer.",
              "Set it to at least the number of threads calling DOKU at once (default 10).")


DEFAULT_TIMEOUTS = {"CONNECT_TIMEOUT": 5, "READ_TIMEOUT": 30, "DEADLINE": 45}
