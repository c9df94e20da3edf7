"""Moved to :mod:`tests.support.keys`; kept for the modules not yet switched."""

from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem

__all__ = ["DOKU_PRIVATE_KEY_PEM", "MERCHANT_PRIVATE_KEY_PEM", "public_pem"]
