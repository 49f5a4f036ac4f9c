import os
import tempfile

# Every test run gets its own TIMBRA_HOME so nothing touches a developer's ./.timbra.
os.environ.setdefault("TIMBRA_HOME", tempfile.mkdtemp(prefix="timbra-test-"))
os.environ.setdefault("TIMBRA_QUEUE_IMMEDIATE", "1")
