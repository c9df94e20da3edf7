"""Moved to :mod:`tests.support.doku_sdk`; kept for ``benchmarks/bench_client.py``."""

from tests.support.doku_sdk import load_sdk, models

__all__ = ["load_sdk", "models"]
