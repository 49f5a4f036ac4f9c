"""Payment use cases, one module each (the only writers of payments models)."""
