"""System checks for ``settings.DOKU_ALLO``; ids are stable (``doku_allo.E001`` ...).

Two groups:

- :func:`check_settings` runs with every management command that checks (``runserver``,
  ``migrate``, ``test``, ``check``): the settings themselves. Keys given as PEM text are
  parsed here; keys given as file paths are not read, so ``migrate`` and
  ``collectstatic`` work on a build host that has no key files yet.
- :func:`check_deployment` runs only with ``manage.py check --deploy``: the key files,
  and what is harmless in development but wrong in production (a per-process token
  cache, the simulator, SQLite, a plain-HTTP public URL, notification checks switched
  off). ``manage.py doku_allo_doctor`` goes further, with advice for each problem.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.translation import gettext as _

from .conf import ENVIRONMENTS, doku_settings, load_pem, merchant_private_key
from .snap.config import PATH_PRESETS, Paths
from .snap.errors import ConfigurationError

SETTING = "settings.DOKU_ALLO"

#: The exact command that prints a new key for ``TOKEN_ENCRYPTION_KEYS``.
FERNET_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"')

#: Cache backends that do not share the B2B token (and its refresh lock) between processes.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps one copy per process",
    "django.core.cache.backends.dummy.DummyCache": "keeps nothing at all",
}

DEFAULT_TIMEOUTS = {"CONNECT_TIMEOUT": 5, "READ_TIMEOUT": 30, "DEADLINE": 45}


class _Found(list[CheckMessage]):
    def error(self, number: int, msg: str, hint: str) -> None:
        self.append(Error(msg, hint=hint, id=f"doku_allo.E{number:03d}"))

    def warning(self, number: int, msg: str, hint: str) -> None:
        self.append(Warning(msg, hint=hint, id=f"doku_allo.W{number:03d}"))


def is_pem_text(value: Any) -> bool:
    """True when a key setting holds the PEM itself rather than a file path."""
    if isinstance(value, bytes):
        return b"-----BEGIN" in value
    return isinstance(value, str) and "-----BEGIN" in value


@register(Tags.security, "doku_allo")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    s = doku_settings
    s.reset()
    found = _Found()

    if s.ENVIRONMENT not in ENVIRONMENTS:
        found.error(1, _("DOKU_ALLO['ENVIRONMENT'] is %(environment)s.")
                         % {"environment": repr(s.ENVIRONMENT)},
                    _("Use one of %(value)s in %(setting)s.")
                      % {"value": ', '.join(ENVIRONMENTS),
                         "setting": SETTING})
    if not s.CLIENT_ID:
        found.error(2, _("DOKU_ALLO['CLIENT_ID'] is not set."),
                    _("Copy the Client ID from DOKU's dashboard (Integration > API Keys)."))
    if not s.CLIENT_SECRET:
        found.error(3, _("DOKU_ALLO['CLIENT_SECRET'] is not set."),
                    _("Copy the Secret Key from DOKU's dashboard (Integration > API Keys)."))
    if not s.PRIVATE_KEY:
        found.error(4, _("DOKU_ALLO['PRIVATE_KEY'] is not set."),
                    _("Give the merchant's RSA private key as PEM text or a file path."))
    elif is_pem_text(s.PRIVATE_KEY):
        _check_private_key(found)
    if not s.DOKU_PUBLIC_KEY:
        found.warning(1, _("DOKU_ALLO['DOKU_PUBLIC_KEY'] is not set: DOKU's token requests "
                           "before notifications will be refused."),
                      _("Copy DOKU's public key from the dashboard (PEM text or file path)."))
    elif is_pem_text(s.DOKU_PUBLIC_KEY):
        _check_doku_public_key(found)
    if s.ENVIRONMENT == "simulator" and not s.BASE_URL:
        found.error(7, _("DOKU_ALLO['ENVIRONMENT'] is 'simulator' but BASE_URL is not set."),
                    _("Set BASE_URL to where the simulator is mounted, e.g. "
                      "'http://127.0.0.1:8000/doku-simulator'."))
    if s.ENVIRONMENT == "production" and s.BASE_URL and not str(s.BASE_URL).startswith(
            "https://"):
        found.warning(2, _("DOKU_ALLO['BASE_URL'] %(base_url)s is not HTTPS in production.")
                           % {"base_url": repr(s.BASE_URL)},
                      _("Use https://api.doku.com (the default for production)."))
    if s.PATH_PRESET not in PATH_PRESETS:
        found.error(8, _("DOKU_ALLO['PATH_PRESET'] is %(path_preset)s.")
                         % {"path_preset": repr(s.PATH_PRESET)},
                    _("Use one of %(value)s.") % {"value": ', '.join(PATH_PRESETS)})
    unknown = set(s.PATHS or {}) - set(Paths.names())
    if unknown:
        found.error(9, _("DOKU_ALLO['PATHS'] names unknown operations: %(value)s.")
                         % {"value": ', '.join(sorted(unknown))},
                    _("Known operations: %(value)s.") % {"value": ', '.join(Paths.names())})
    _check_encryption_keys(found)
    for name in ("CONNECT_TIMEOUT", "READ_TIMEOUT", "DEADLINE"):
        value = getattr(s, name)
        if not isinstance(value, (int, float)) or value <= 0:
            found.error(12, _("DOKU_ALLO['%(name)s'] must be a positive number of seconds.")
                              % {"name": name},
                        _("Set %(name)s to e.g. %(name2)s.")
                          % {"name": name,
                             "name2": DEFAULT_TIMEOUTS[name]})
    if not s.NOTIFICATION_VERIFY_TOKEN and not s.NOTIFICATION_VERIFY_SIGNATURE:
        found.warning(3, _("Both NOTIFICATION_VERIFY_TOKEN and NOTIFICATION_VERIFY_SIGNATURE "
                           "are off: anyone can forge a payment notification."),
                      _("Turn at least one back on in settings.DOKU_ALLO."))
    if str(s.STATUS_SERVICE_CODE) not in ("54", "55"):
        found.error(13, _("DOKU_ALLO['STATUS_SERVICE_CODE'] must be '55' or '54'."),
                    _("'55' is what DOKU's SDKs send; '54' is the SNAP standard."))
    _check_cache_alias(found)
    _check_tasks(s, found)
    base = s.PUBLIC_BASE_URL
    if base and not str(base).startswith(("https://", "http://")):
        found.error(15, _("DOKU_ALLO['PUBLIC_BASE_URL'] %(base)s is not an absolute URL.")
                          % {"base": repr(base)},
                    _("Give the scheme and host DOKU and the customer's browser reach this site"
                      " at, e.g. 'https://shop.example.com'."))
    return found


def _check_tasks(s: Any, found: _Found) -> None:
    """E016-E018: background tasks and the HTTP pool (see docs/tasks.md)."""
    if s.STATUS_CHECK_TASKS or s.SIGNALS_VIA_TASKS:
        from .tasks import tasks_api

        api = tasks_api()
        if api is None:
            found.error(16, _("DOKU_ALLO['STATUS_CHECK_TASKS'] or ['SIGNALS_VIA_TASKS'] is on, "
                              "but neither django.tasks (Django 6.0) nor django_tasks is "
                              "importable."),
                        _("pip install django-tasks (and a backend, e.g. django-tasks-db), or "
                          "turn both settings off."))
        else:
            try:
                backend = api.task_backends[s.TASK_BACKEND]
            except Exception as exc:
                found.error(16, _("DOKU_ALLO['TASK_BACKEND'] %(task_backend)s is not a usable "
                                  "task backend: %(exc)s")
                                  % {"task_backend": repr(s.TASK_BACKEND),
                                     "exc": exc}, _("Name a backend of settings.TASKS."))
            else:
                if s.STATUS_CHECK_TASKS and not backend.supports_defer:
                    found.error(16, _("The task backend %(task_backend)s cannot run a task "
                                      "later (run_after), which STATUS_CHECK_TASKS needs.")
                                      % {"task_backend": repr(s.TASK_BACKEND)},
                                _("Use e.g. django_tasks_db.DatabaseBackend, or turn "
                                  "STATUS_CHECK_TASKS off."))
    backoff = s.STATUS_CHECK_BACKOFF
    attempts = s.STATUS_CHECK_MAX_ATTEMPTS
    if not isinstance(backoff, (list, tuple)) or not backoff or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in backoff):
        found.error(17, _("DOKU_ALLO['STATUS_CHECK_BACKOFF'] must be a non-empty list of "
                          "positive seconds."),
                    _("Set it to e.g. [120, 300, 900, 3600] (the last one repeats)."))
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        found.error(17, _("DOKU_ALLO['STATUS_CHECK_MAX_ATTEMPTS'] must be a positive integer."),
                    _("Set it to e.g. 30 (about a day with the default backoff)."))
    pool = s.HTTP_POOL_SIZE
    if not isinstance(pool, int) or isinstance(pool, bool) or pool < 1:
        found.error(18, _("DOKU_ALLO['HTTP_POOL_SIZE'] must be a positive integer."),
                    _("Set it to at least the number of threads calling DOKU at once (default "
                      "10)."))


def _check_private_key(found: _Found) -> None:
    try:
        merchant_private_key()
    except (ConfigurationError, ValueError, TypeError) as exc:
        found.error(5, _("DOKU_ALLO['PRIVATE_KEY'] cannot be loaded: %(exc)s") % {"exc": exc},
                    _("Give an RSA private key in PEM (PKCS#8 or PKCS#1), or its path; an "
                      "encrypted key needs PRIVATE_KEY_PASSWORD. `manage.py doku_allo_doctor` "
                      "says more."))


def _check_doku_public_key(found: _Found) -> None:
    from .snap.signing import load_public_key

    try:
        load_public_key(load_pem(doku_settings.DOKU_PUBLIC_KEY))
    except (ConfigurationError, ValueError, TypeError) as exc:
        found.error(6, _("DOKU_ALLO['DOKU_PUBLIC_KEY'] cannot be loaded: %(exc)s") % {"exc": exc},
                    _("Give DOKU's RSA public key in PEM, or its path."))


def _check_encryption_keys(found: _Found) -> None:
    keys = doku_settings.TOKEN_ENCRYPTION_KEYS
    if not keys:
        found.error(10, _("DOKU_ALLO['TOKEN_ENCRYPTION_KEYS'] is empty; customer tokens cannot "
                          "be stored encrypted."),
                    _("Make a key with: %(fernet_key_command)s and put it in "
                      "TOKEN_ENCRYPTION_KEYS (a list; keep it secret, e.g. in an environment "
                      "variable).")
                      % {"fernet_key_command": FERNET_KEY_COMMAND})
        return
    from .crypto import fernet

    try:
        fernet()
    except ConfigurationError as exc:
        found.error(11, str(exc),
                    _("Each key is 32 url-safe base64-encoded bytes; make one with: "
                      "%(fernet_key_command)s")
                      % {"fernet_key_command": FERNET_KEY_COMMAND})


def _check_cache_alias(found: _Found) -> None:
    from django.conf import settings

    alias = doku_settings.CACHE_ALIAS
    if alias not in getattr(settings, "CACHES", {}):
        found.error(14, _("DOKU_ALLO['CACHE_ALIAS'] %(alias)s names no cache in "
                          "settings.CACHES.") % {"alias": repr(alias)},
                    _("Add that cache to CACHES, or set CACHE_ALIAS to one of %(value)s.")
                      % {"value": ', '.join(sorted(getattr(settings, 'CACHES', {}))) or 'default'})


@register(Tags.security, "doku_allo", deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``manage.py check --deploy``: key files, and what only production gets wrong."""
    from django.conf import settings

    s = doku_settings
    s.reset()
    found = _Found()
    if s.PRIVATE_KEY and not is_pem_text(s.PRIVATE_KEY):
        _check_private_key(found)
    if s.DOKU_PUBLIC_KEY and not is_pem_text(s.DOKU_PUBLIC_KEY):
        _check_doku_public_key(found)

    alias = s.CACHE_ALIAS
    backend = str(getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", ""))
    if backend in PER_PROCESS_CACHES:
        found.warning(4, _("The cache %(alias)s (DOKU_ALLO['CACHE_ALIAS']) is %(value)s, which "
                           "%(backend)s: every worker fetches its own B2B token from DOKU and "
                           "the refresh lock holds only within one process.")
                           % {"alias": repr(alias),
                              "value": backend.rsplit('.', 1)[-1],
                              "backend": PER_PROCESS_CACHES[backend]},
                      _("Use a cache every process shares: Redis "
                        "(django.core.cache.backends.redis.RedisCache), Memcached, or the "
                        "database cache (run `manage.py createcachetable`)."))
    if not settings.DEBUG:
        if s.ENVIRONMENT == "simulator":
            found.warning(5, _("DOKU_ALLO['ENVIRONMENT'] is 'simulator' while DEBUG is off: "
                               "payments go to the simulated bank, no money moves."),
                          _("Set ENVIRONMENT to 'production' (or 'sandbox') with DOKU's "
                            "credentials."))
        if "django_doku_allo.simulator" in settings.INSTALLED_APPS:
            found.warning(6, _("'django_doku_allo.simulator' is in INSTALLED_APPS while DEBUG "
                               "is off: a fake DOKU, with its control API, ships with this "
                               "site."),
                          _("Remove it from INSTALLED_APPS (and its URLs) in production."))
    sqlite = [alias for alias, db in getattr(settings, "DATABASES", {}).items()
              if str(db.get("ENGINE", "")).endswith("sqlite3")]
    if sqlite:
        found.warning(7, _("The database %(value)s is SQLite: it has no row locks, so a "
                           "notification, a browser return and a status check racing for one "
                           "payment are serialised only by SQLite's whole-database lock.")
                           % {"value": ', '.join(sqlite)},
                      _("Use PostgreSQL (or another database with SELECT ... FOR UPDATE) in "
                        "production."))
    base = s.PUBLIC_BASE_URL
    if base and str(base).startswith("http://"):
        found.warning(8, _("DOKU_ALLO['PUBLIC_BASE_URL'] %(base)s is not HTTPS: DOKU's "
                           "notifications and the customer's return would travel in the clear.")
                           % {"base": repr(base)},
                      _("Serve the site over HTTPS and set PUBLIC_BASE_URL to its https:// URL."))
    elif not base:
        found.warning(9, _("DOKU_ALLO['PUBLIC_BASE_URL'] is not set: return URLs are built from"
                           " each request's Host header and scheme."),
                      _("Set PUBLIC_BASE_URL to the site's https:// URL (the one configured at "
                        "DOKU), so return URLs never depend on the request."))
    for name, what in (("NOTIFICATION_VERIFY_TOKEN", "the bearer token we issued to DOKU"),
                       ("NOTIFICATION_VERIFY_SIGNATURE", "DOKU's X-SIGNATURE")):
        if not getattr(s, name):
            number = 10 if name == "NOTIFICATION_VERIFY_TOKEN" else 11
            found.warning(number, _("DOKU_ALLO['%(name)s'] is False: notifications are accepted"
                                    " without checking %(what)s.")
                                    % {"name": name,
                                       "what": what},
                          _("Remove %(name)s from settings.DOKU_ALLO (it defaults to True) once"
                            " `manage.py doku_allo_doctor --notify-self` passes.")
                            % {"name": name})
    return found
