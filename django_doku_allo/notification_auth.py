"""Moved to :mod:`django_doku_allo.inbound.auth`; this name is that module itself.

Kept only until ``testing.py`` and ``tests/conftest.py`` import the new home.
It is the same module object, not a copy, so a ``monkeypatch`` of
``notification_auth.issue_token`` still reaches the token view.
"""

import sys

from .inbound import auth

sys.modules[__name__] = auth
