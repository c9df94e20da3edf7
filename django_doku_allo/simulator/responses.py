"""HTTP answers in DOKU's shape: compact JSON, status = first three digits, X-TIMESTAMP."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from django_doku_allo.snap.signing import minify, snap_timestamp

from .codes import SnapError

__all__ = ["error_response", "json_response", "snap_body", "snap_response"]


def json_response(body: dict[str, Any], status: int) -> HttpResponse:
    response = HttpResponse(minify(body).encode("utf-8"), status=status,
                            content_type="application/json")
    response["X-TIMESTAMP"] = snap_timestamp()
    return response


def snap_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"responseCode": code, "responseMessage": message, **(fields or {})}


def snap_response(code: str, message: str, fields: dict[str, Any] | None = None) -> HttpResponse:
    return json_response(snap_body(code, message, fields), status=int(code[:3]))


def error_response(error: SnapError, service: str) -> HttpResponse:
    return snap_response(error.response_code(service), error.message, error.fields)
