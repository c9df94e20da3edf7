from django.db import models


class Delivery(models.Model):
    """One POST, stored as is: what the cheapest possible webhook does."""

    received_at = models.DateTimeField(auto_now_add=True)
    body = models.TextField()

    def __str__(self) -> str:
        return f"delivery {self.pk}"
