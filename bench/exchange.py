"""Benchmarks of the exchange (filled in by its issue)."""
