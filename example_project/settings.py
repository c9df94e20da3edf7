"""The example shop: a small merchant site using django-doku-allo.

Every DOKU setting comes from the environment; unset, the shop talks to the DOKU
simulator mounted in this same site at /doku-simulator/, with development keys
it makes and keeps under example_project/var/.
"""

from __future__ import annotations

import os
from pathlib import Path

from example_project.base_settings import *  # noqa: F403  (apps, middleware, templates)
from example_project.base_settings import INSTALLED_APPS, databases, doku_allo
from example_project.keys import VAR_DIR, DevKeys, public_key_path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR.mkdir(exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-development-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# drf_spectacular_sidecar ships Swagger UI's and ReDoc's files as static files, so
# /api/docs/ renders without reaching a CDN (see SPECTACULAR_SETTINGS below).
INSTALLED_APPS = [*INSTALLED_APPS, "drf_spectacular", "drf_spectacular_sidecar",
                  "example_project.shop"]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
DATABASES = databases(f"sqlite:///{VAR_DIR / 'shop.sqlite3'}")

# The customer picks one with the form in the shop's header (Django's set_language view);
# until then LocaleMiddleware follows the browser's Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
# The shop's own catalogue; the app's and the simulator's come with their packages.
LOCALE_PATHS = [BASE_DIR / "example_project" / "locale"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

_keys = DevKeys(VAR_DIR)
_merchant_key = (os.environ.get("DOKU_ALLO_PRIVATE_KEY_PATH")
                 or str(_keys.private_key("merchant")))
_simulator_key = (os.environ.get("DOKU_ALLO_SIMULATOR_PRIVATE_KEY_PATH")
                  or str(_keys.private_key("doku-simulator")))

DOKU_ALLO = doku_allo(
    os.environ.get("DOKU_ALLO_BASE_URL", "http://127.0.0.1:8000/doku-simulator"),
    client_id=os.environ.get("DOKU_ALLO_CLIENT_ID", "BRN-0001-EXAMPLESHOP"),
    client_secret=os.environ.get("DOKU_ALLO_CLIENT_SECRET", "example-shop-client-secret"),
    private_key=_merchant_key,
    doku_public_key=(os.environ.get("DOKU_ALLO_DOKU_PUBLIC_KEY_PATH")
                     or public_key_path(_simulator_key)),
    token_encryption_key=(os.environ.get("DOKU_ALLO_TOKEN_ENCRYPTION_KEY")
                          or _keys.fernet_key()),
    ENVIRONMENT=os.environ.get("DOKU_ALLO_ENVIRONMENT", "simulator"),
    BINDING_SUCCESS_REDIRECT="/",
    BINDING_FAILURE_REDIRECT="/",
    PAYMENT_SUCCESS_REDIRECT="/",
    PAYMENT_FAILURE_REDIRECT="/",
    # The simulator answers in milliseconds; a real DOKU may take longer.
    READ_TIMEOUT=float(os.environ.get("DOKU_ALLO_READ_TIMEOUT", "30")),
)

# DOKU's side, for the simulator mounted below. It knows this merchant by the same
# client id, secret and public key.
DOKU_ALLO_SIMULATOR = {
    "PRIVATE_KEY": _simulator_key,
    "ENABLE_CONTROL_API": True,
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "django-doku-allo example shop API",
    "VERSION": "0.1.0",
    # Served from this site's static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_doku_allo": {"handlers": ["console"], "level": "INFO"}},
}
