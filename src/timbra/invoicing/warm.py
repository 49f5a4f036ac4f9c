"""Load once per process, before the first invoice, what every invoice needs.

A worker that meets its first invoice cold spends about 0.6 s of CPU on it: compiling the SAT's
XSD with its catalog enumerations (the sandbox PAC's check), the cadena original XSLTs, loading
the sandbox PAC's key, Django's template engine and the pipeline's modules. The consumer calls
`warm_up()` before it forks its worker processes, so every worker inherits all of it and the
first invoice of a burst costs what the others do. Nothing here touches the database.
"""

from __future__ import annotations

from django.template.loader import get_template

from timbra.cfdi import sandbox_checks, xml
from timbra.delivery.services import EMAIL_KINDS
from timbra.invoicing import process as _process  # noqa: F401  (the pipeline's modules: reportlab, satcfdi)
from timbra.sandbox import service as sandbox


def warm_up() -> None:
    sandbox_checks.compiled_schema()
    sandbox_checks.compiled_cadena_xslt()
    xml.compile_stylesheets()
    sandbox.load_certificate()
    for _, template in EMAIL_KINDS.values():
        get_template(f"delivery/{template}.txt")
        get_template(f"delivery/{template}.html")
