"""Test support shared by every app: the environment, named people, browser harness."""
