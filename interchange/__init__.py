"""Interchange: one council service integrated over many suppliers."""
