"""The preview of a coming invoice: the same CFDI the issuer will build, signed, NEVER stamped.

The request is the issuer's own (`schedules.lines.invoice_request`) and the amounts come from
the read-only half of `create_invoice` (as `schedules.preview` does), so the preview states
what will be issued. It is sealed with the org's CSD so the PDF is the real layout, but it is
never sent to a PAC: without a TimbreFiscalDigital it has no fiscal value, and the PDF says
so on every page (`draft_watermark`). It has no folio yet (taken when the invoice is created).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from timbra.cfdi import build
from timbra.cfdi.pdf import Branding, render_pdf
from timbra.domain import catalogs
from timbra.domain.periods import long_date
from timbra.domain.schedule_dates import Occurrence
from timbra.invoicing.create import prepare_invoice as prepare_unsaved_invoice
from timbra.invoicing.drafts import draft_from_rows
from timbra.orgs import csds
from timbra.schedules.lines import invoice_request
from timbra.schedules.models import Schedule

WATERMARK = "VISTA PREVIA — SIN VALIDEZ FISCAL"


@dataclass(frozen=True)
class PreviewDocument:
    xml: bytes  # signed, unstamped
    pdf: bytes


def build_preview(schedule: Schedule, occurrence: Occurrence, *, as_of: datetime) -> PreviewDocument:
    """Sign the invoice `schedule` will issue for `occurrence` and print it as a preview.

    Raises InvoicingError (the invoice cannot be computed), csds.NoUsableCsd, or the builder's
    and renderer's errors; callers send the email without the PDF then."""
    org = schedule.org
    invoice, lines = prepare_unsaved_invoice(org, invoice_request(schedule, occurrence),
                                             livemode=schedule.livemode, as_of=as_of)
    # Fecha: when it will be issued. The preview is never stamped, so the 72-hour rule never applies.
    draft = draft_from_rows(invoice, lines, fecha=occurrence.due_at)
    signer = csds.signer_for(csds.active_csd(org, as_of=as_of))
    sealed = build.seal(draft, signer)
    footer = (f"Vista previa de la factura de {occurrence.period.label}, que se emitirá el "
              f"{long_date(occurrence.local_date)}. No es un comprobante fiscal.")
    branding = Branding(logo=bytes(org.logo) if org.logo else None, color=org.brand_color, footer=footer)
    pdf = render_pdf(sealed.xml, branding=branding, descriptions=catalogs.describe, draft_watermark=WATERMARK)
    return PreviewDocument(xml=sealed.xml, pdf=pdf)
