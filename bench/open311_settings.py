"""Settings for the Open311 benchmark's web server: production's settings, whatever the
environment makes them, with one URL map more (`bench.open311_urls`) that adds the bare
form-parsing view the benchmark compares against. Never used outside `bench/`."""

from interchange.settings import *  # noqa: F403

ROOT_URLCONF = "bench.open311_urls"
