"""Default pagination of the API lists: a cursor, so page 2,000 costs what page 1 costs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination


class DokuAlloCursorPagination(CursorPagination):
    """Newest first; ``?page_size=`` up to 200. Stable while new rows arrive.

    A cursor comes back from the client, so it is outside input: one that does not
    decode, or whose position is not a value of the ordering field (``p=0`` for a
    datetime, a NUL, a date with no UTC equivalent), is a 400, never a 500.
    """

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-pk")

    _model: type[Model] | None = None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Cursor | None:
        # A mangled cursor is the client's input error, not a missing resource.
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise _invalid() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        if "\x00" in position:
            raise _invalid()
        if self._model is None:
            return
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return
        try:
            value = field.to_python(position)
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    raise ValueError("a cursor's time has an offset")
                value.astimezone(timezone.utc)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise _invalid() from None


def _invalid() -> ValidationError:
    return ValidationError({"cursor": ["Invalid cursor."]})
