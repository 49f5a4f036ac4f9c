"""Shared pytest configuration. Settings: tests/settings.py."""

from hypothesis import HealthCheck, settings

# Property tests judge results, not speed: on a shared 2-core machine (the suite runs on two
# xdist workers beside other work) input generation can be slow without anything being wrong.
settings.register_profile("timbra", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("timbra")
