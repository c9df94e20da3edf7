"""DOKU SNAP protocol for direct debit (Allo Bank by default): signing, messages, codes,
channel profiles, HTTP client.

Knows nothing of Django models or requests; it takes explicit configuration
(:class:`~django_doku_allo.snap.config.SnapConfig`) and a token store.
"""
