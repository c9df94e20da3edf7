"""The yardstick of benchmark 2: a Django view that only inserts one row."""
