"""Benchmarks of the api (filled in by its issue)."""
