import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timbra.settings")
application = get_wsgi_application()
# Import every view and build the API's schemas now (~1.5 s of CPU), at boot, instead of inside
# the first request each web process serves: a customer's first webhook or API call should not
# wait for it. With gunicorn's --preload (timbra serve) the master does it once for all workers.
get_resolver().url_patterns  # noqa: B018 (the access loads them)
