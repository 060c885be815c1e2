"""Deterministic demo data: the after-sales months and the 4S dealer group's months."""
