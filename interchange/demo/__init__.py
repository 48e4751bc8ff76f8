"""The demo council: reference data through the domain services, and seeded ticket history."""
