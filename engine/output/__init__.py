"""What leaves the product: exported tables (and the reports to come)."""
