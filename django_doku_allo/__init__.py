"""Allo Bank direct debit through DOKU's SNAP API, as a Django reusable app."""

__version__ = "0.1.0"
