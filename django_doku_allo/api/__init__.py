"""The REST API (Django REST Framework), for the merchant's own front ends.

Optional: install the ``drf`` extra (``pip install django-doku-allo[drf]``), add
``rest_framework`` to ``INSTALLED_APPS`` and include :mod:`django_doku_allo.api.urls`.
Nothing outside this package imports DRF, so the app works without it.
"""
