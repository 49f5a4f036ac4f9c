"""timbra.wsgi loads every view at import, so no request pays for it (gunicorn --preload does it
once, in the master, before it forks the web processes)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_the_wsgi_app_loads_the_api_and_the_dashboard(tmp_path):
    probe = ("import sys, timbra.wsgi; "
             "print(all(m in sys.modules for m in ('timbra.api.routers.invoices', 'timbra.dashboard.views.invoices')))")
    env = {**os.environ, "TIMBRA_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "timbra.settings"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "True"
