"""Portal use cases, one verb per module; the only writers of the portal's rows."""
