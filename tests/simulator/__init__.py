"""Tests of the DOKU simulator (django_doku_allo.simulator)."""
