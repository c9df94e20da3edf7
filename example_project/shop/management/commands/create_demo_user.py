"""Create (or reset) the demo customer and staff user of the example shop."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo users: demo / demo-pass-123 (customer), admin / admin-pass-123 (staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        for username, password, staff in (("demo", "demo-pass-123", False),
                                          ("admin", "admin-pass-123", True)):
            user, _ = users.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
        self.stdout.write("Demo users ready: demo / demo-pass-123, admin / admin-pass-123")
