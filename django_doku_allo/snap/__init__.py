"""DOKU SNAP protocol for Allo Bank direct debit: signing, wire types, codes, HTTP client.

Knows nothing of Django models or requests; it takes explicit configuration
(:class:`~django_doku_allo.snap.config.SnapConfig`) and a token store.
"""
