"""The portal's public views (no login: the signed link is the credential)."""
