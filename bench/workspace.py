"""Benchmarks of the workspace (filled in by its issue)."""
