"""System checks for DOKU_ALLO settings (filled in with conf.py)."""
