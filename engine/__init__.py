"""Scoring engine for after-sales and customer-service performance assessment (no UI code)."""
