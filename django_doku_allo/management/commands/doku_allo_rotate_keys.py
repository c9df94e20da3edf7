"""Re-encrypt every stored customer token with the first TOKEN_ENCRYPTION_KEYS key.

Rotation: put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old one after
it), run this command, then remove the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from ...models import Binding

ENCRYPTED_FIELDS = ("auth_code", "access_token", "refresh_token")


class Command(BaseCommand):
    help = "Re-encrypt stored customer tokens with the first TOKEN_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for pk in Binding.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                # Loading decrypts with any key; saving encrypts with the first one.
                binding = Binding.objects.select_for_update().get(pk=pk)
                binding.save(update_fields=ENCRYPTED_FIELDS)
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the tokens of {count} bindings."))
