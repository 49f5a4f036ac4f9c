"""Request and response shapes of the public API (pydantic, through django-ninja)."""
