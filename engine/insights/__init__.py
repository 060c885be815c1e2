"""Insights: fair rates for small samples, rater leniency, signals versus noise, fairness by
segment, gaming pairs."""
