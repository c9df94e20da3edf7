"""Model fields."""

from __future__ import annotations

from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted with Fernet before it reaches the database; never searchable."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value
