"""Gateway adapters (one module per gateway) behind the Protocol in `base`."""
