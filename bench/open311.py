"""Benchmarks of the open311 (filled in by its issue)."""
