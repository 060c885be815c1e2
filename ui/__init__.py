"""Streamlit helpers: the only place that caches; pages call these, never the store directly."""
