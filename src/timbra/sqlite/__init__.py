"""SQLite, embedded: Django's backend with writers queued on a kernel lock (`base`, `gate`)."""
