"""The example shop: a small merchant site using django-doku-allo.

Every DOKU setting comes from the environment; unset, the shop talks to the DOKU
simulator mounted in this same site at /doku-simulator/, with development keys
it makes and keeps under example_project/var/.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from example_project.keys import VAR_DIR, ensure_fernet_key, ensure_private_key, public_key_path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR.mkdir(exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-development-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_doku_allo",
    "django_doku_allo.simulator",
    "example_project.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shop.sqlite3'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

_merchant_key = os.environ.get("DOKU_ALLO_PRIVATE_KEY_PATH") or ensure_private_key("merchant")
_simulator_key = (os.environ.get("DOKU_ALLO_SIMULATOR_PRIVATE_KEY_PATH")
                  or ensure_private_key("doku-simulator"))
_client_id = os.environ.get("DOKU_ALLO_CLIENT_ID", "BRN-0001-EXAMPLESHOP")
_client_secret = os.environ.get("DOKU_ALLO_CLIENT_SECRET", "example-shop-client-secret")

DOKU_ALLO = {
    "ENVIRONMENT": os.environ.get("DOKU_ALLO_ENVIRONMENT", "simulator"),
    "BASE_URL": os.environ.get("DOKU_ALLO_BASE_URL", "http://127.0.0.1:8000/doku-simulator"),
    "CLIENT_ID": _client_id,
    "CLIENT_SECRET": _client_secret,
    "PRIVATE_KEY": _merchant_key,
    "DOKU_PUBLIC_KEY": (os.environ.get("DOKU_ALLO_DOKU_PUBLIC_KEY_PATH")
                        or public_key_path(_simulator_key)),
    "TOKEN_ENCRYPTION_KEYS": [os.environ.get("DOKU_ALLO_TOKEN_ENCRYPTION_KEY")
                              or ensure_fernet_key()],
    "BINDING_SUCCESS_REDIRECT": "/",
    "BINDING_FAILURE_REDIRECT": "/",
    "PAYMENT_SUCCESS_REDIRECT": "/",
    "PAYMENT_FAILURE_REDIRECT": "/",
    # The simulator answers in milliseconds; a real DOKU may take longer.
    "READ_TIMEOUT": float(os.environ.get("DOKU_ALLO_READ_TIMEOUT", "30")),
}

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
SPECTACULAR_SETTINGS = {"TITLE": "django-doku-allo example shop API", "VERSION": "0.1.0"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_doku_allo": {"handlers": ["console"], "level": "INFO"}},
}
