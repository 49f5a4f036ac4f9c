"""Test settings: a private TIMBRA_HOME per run and the queue in immediate mode.

Set before timbra.settings is imported (pytest-django imports settings before conftest)."""

import os
import tempfile

os.environ.setdefault("TIMBRA_HOME", tempfile.mkdtemp(prefix="timbra-test-"))
os.environ.setdefault("TIMBRA_QUEUE_IMMEDIATE", "1")

from timbra.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
# Owners' second factor is tested on its own (tests/integration/dashboard/test_two_factor.py); the
# rest of the suite logs owners in with a password only.
TIMBRA_OWNER_2FA = False

if DATABASES["default"]["ENGINE"] == "timbra.sqlite":  # noqa: F405
    # A file, not SQLite's shared-cache memory DB: its table locks ignore the busy timeout,
    # so concurrency tests would measure the test harness instead of WAL + IMMEDIATE.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["TIMBRA_HOME"], "test.sqlite3")}  # noqa: F405
