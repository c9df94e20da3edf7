"""Default pagination of the API lists: a cursor, so page 2,000 costs what page 1 costs."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination


class DokuAlloCursorPagination(CursorPagination):
    """Newest first; ``?page_size=`` up to 200. Stable while new rows arrive."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-pk")

    def decode_cursor(self, request: Any) -> Cursor | None:
        # A mangled cursor is the client's input error, not a missing resource.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
