"""Closing a month: its states and who moves them, adjustments, frozen results of locked months."""
