"""Figures the pages show, computed from scored tables: overview, ranking, breakdowns, what-if."""
