"""The customer's IP address and device id for DOKU, taken from an API request.

DOKU wants both as headers (X-IP-ADDRESS, X-DEVICE-ID) on every customer call,
and only an IPv4 address. Behind a proxy, set ``REMOTE_ADDR`` from the proxy's
header in a middleware you trust: this module reads ``REMOTE_ADDR`` only, because
any ``X-Forwarded-For`` it read could be forged by the client.
"""

from __future__ import annotations

import ipaddress
import re

from django.http import HttpRequest

from ..snap.types import CustomerContext
from .errors import DeviceIdInvalid, DeviceIdRequired, IPv4Required

__all__ = ["DEVICE_ID_HEADER", "customer_context"]

DEVICE_ID_HEADER = "X-Device-ID"
_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9]{1,64}")


def customer_context(
    request: HttpRequest,
    *,
    stored_ip: str | None = None,
    stored_device_id: str = "",
    require_device_id: bool = False,
) -> CustomerContext:
    """The request's customer context, falling back to what the binding or payment stored.

    The stored values stand in when the request came over IPv6 (say ``::1`` in
    development) or sent no ``X-Device-ID``: they were the same customer's when
    the binding or payment was made.
    """
    ip = _ipv4(request.META.get("REMOTE_ADDR")) or _ipv4(stored_ip)
    if ip is None:
        raise IPv4Required()
    device_id = request.headers.get(DEVICE_ID_HEADER, "")
    if device_id and not _DEVICE_ID_RE.fullmatch(device_id):
        raise DeviceIdInvalid()
    device_id = device_id or stored_device_id
    if require_device_id and not device_id:
        raise DeviceIdRequired()
    return CustomerContext(ip_address=ip, device_id=device_id or None)


def _ipv4(value: str | None) -> str | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        return str(mapped) if mapped is not None else None
    return str(address)
