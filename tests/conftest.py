"""Shared pytest configuration. Settings: tests/settings.py."""
