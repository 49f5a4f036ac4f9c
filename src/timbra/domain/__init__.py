"""Pure-Python fiscal domain: no Django, no satcfdi, no Huey imports here."""
