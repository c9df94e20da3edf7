"""What the tests share: keys, fakes of DOKU, the race helper, DOKU's SDK.

- :mod:`~tests.support.keys`: the RSA key pairs (merchant, DOKU; every PEM shape).
- :mod:`~tests.support.fake_client`: a stand-in ``AlloClient`` for the surfaces'
  tests, installed through ``DOKU_ALLO["CLIENT_FACTORY"]``.
- :mod:`~tests.support.fake_doku`: a scripted DOKU on a real local socket, for the
  SNAP client's tests.
- :mod:`~tests.support.snap_client`: the client configuration, requests and wire
  checks those tests share.
- :mod:`~tests.support.strategies`: hypothesis strategies for bodies and signatures.
- :mod:`~tests.support.threads`: ``run_together``, for the race tests.
- :mod:`~tests.support.doku_sdk`: the one loader of DOKU's Python SDK.
"""
