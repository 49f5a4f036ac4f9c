"""Load once per process, before the first invoice, what every invoice needs.

A worker that meets its first invoice cold spends about 0.6 s of CPU on it: compiling the SAT's
XSD with its catalog enumerations (the sandbox PAC's check), the cadena original XSLTs, loading
the sandbox PAC's key, Django's template engine and the pipeline's modules. The consumer calls
`warm_up()` before it forks its worker processes, so every worker inherits all of it and the
first invoice of a burst costs what the others do. Nothing here touches the database.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import get_template
from django.utils import timezone

from timbra.cfdi import sandbox_checks, xml
from timbra.cfdi.sandbox_pac import load_or_create_sandbox_certificate
from timbra.delivery import services as _delivery  # noqa: F401  (the pipeline's modules: reportlab, satcfdi)
from timbra.invoicing import process as _process  # noqa: F401

EMAIL_TEMPLATES = ("invoice_email", "rep_email", "credit_note_email")


def warm_up() -> None:
    sandbox_checks.compiled_schema()
    sandbox_checks.compiled_cadena_xslt()
    xml.compile_stylesheets()
    load_or_create_sandbox_certificate(settings.TIMBRA_HOME, timezone.now())
    for template in EMAIL_TEMPLATES:
        get_template(f"delivery/{template}.txt")
        get_template(f"delivery/{template}.html")
