"""The demo loaders as an app without models, so `manage.py seed_demo` is found."""

from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "interchange.demo"
    label = "demo"
    verbose_name = "Demo council"
