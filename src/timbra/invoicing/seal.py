"""seal_invoice: check a draft against the SAT rules, sign it and save the exact bytes.

The signed XML is committed BEFORE any PAC call (DESIGN: never two UUIDs for one sale):
every later attempt sends these same bytes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from lxml import etree

from timbra.cfdi import build
from timbra.domain import rules
from timbra.domain.draft import Receptor
from timbra.domain.status import InvoiceStatus
from timbra.domain.taxpayer import Problem
from timbra.invoicing.drafts import draft_for
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.transitions import LostRace, move
from timbra.orgs import csds
from timbra.orgs.models import Csd

log = logging.getLogger(__name__)

PAGO = "P"  # c_TipoDeComprobante "Pago": the REP (Complemento de Pago 2.0), built by receivables


@dataclass(frozen=True)
class SealedDocument:
    """What sealing produced: the exact signed bytes, the CFDI Fecha and the receptor as sealed."""

    xml: bytes
    fecha: datetime  # naive local time at the place of issue
    receptor: dict[str, str]


def seal_invoice(invoice_id: int, *, as_of: datetime) -> Invoice:
    """Seal a draft, or hold it with the reasons a PAC would reject it. No-op unless draft."""
    invoice = Invoice.objects.select_related("org", "customer").get(pk=invoice_id)
    return seal(invoice, as_of=as_of).invoice


@dataclass(frozen=True)
class SealOutcome:
    invoice: Invoice
    xml: bytes | None = None  # the bytes this call sealed (None: held, or another worker sealed it)


def seal(invoice: Invoice, *, as_of: datetime, stamp_next: bool = False) -> SealOutcome:
    """`seal_invoice` on an invoice already loaded with its org and customer.

    `stamp_next`: the caller stamps right after, so the seal's transaction also counts that
    stamp attempt (one write transaction less per invoice; a crash before the PAC call only
    makes the next run ask the PAC to recover first, which finds nothing and stamps)."""
    if invoice.status != InvoiceStatus.DRAFT:
        return SealOutcome(invoice)
    try:
        csd = csds.active_csd(invoice.org, as_of=as_of)
    except csds.NoUsableCsd as exc:
        return SealOutcome(hold_invoice(invoice, [Problem(exc.code, "csd", exc.message)], as_of=as_of))
    if invoice.tipo_de_comprobante == PAGO:
        # A REP has no lines: it restates a recorded payment and the stamped invoices it pays
        # (issue 4), so receivables builds it with cfdi.build_pago. Same persist/stamp/deliver
        # path as every other CFDI from here on. Imported late: receivables depends on invoicing.
        from timbra.receivables.rep import seal_rep

        sealed = seal_rep(invoice, csds.signer_for(csd), as_of=as_of)
    else:
        sealed = _seal_ingreso(invoice, csd, as_of=as_of)
    if not isinstance(sealed, SealedDocument):
        return SealOutcome(hold_invoice(invoice, sealed, as_of=as_of))
    try:
        with transaction.atomic():
            move(
                invoice,
                InvoiceStatus.SEALED,
                as_of=as_of,
                kind="sealed",
                message=f"CFDI sellado con el certificado {csd.no_certificado}.",
                sealed_sha256=hashlib.sha256(sealed.xml).hexdigest(),
                sealed_at=as_of,
                fecha=sealed.fecha.isoformat(),
                no_certificado=csd.no_certificado,
                receptor=sealed.receptor,
                stamp_attempts=1 if stamp_next else 0,
                next_attempt_at=as_of,
                last_error="",
                hold_code="",
                hold_message="",
            )
            InvoiceDocument.objects.filter(invoice=invoice).update(sealed_xml=sealed.xml)
    except LostRace:
        # Another worker sealed it first; its bytes are the ones that count.
        invoice.refresh_from_db()
        return SealOutcome(invoice)
    return SealOutcome(invoice, sealed.xml)


def _seal_ingreso(invoice: Invoice, csd: Csd, *, as_of: datetime) -> SealedDocument | list[Problem]:
    """An Ingreso/Egreso from its lines, after the pre-stamp rules (problems → hold)."""
    draft = draft_for(invoice, as_of=as_of)
    problems = rules.check_draft(
        draft,
        stamp_at=as_of,
        tz=ZoneInfo(invoice.org.timezone),
        csd_valid_from=csd.valid_from,
        csd_valid_to=csd.valid_to,
    )
    if problems:
        return problems
    try:
        sealed = build.seal(draft, csds.signer_for(csd))
    except (ValueError, TypeError, build.CfdiTotalsMismatch, etree.LxmlError) as exc:
        # The rules above catch every case we know (issue 10, defect 9: a control character made
        # lxml raise here, the invoice stayed draft with no reason and the sweeper re-queued it
        # forever). Whatever slips past them holds the invoice with a reason, never crashes a worker.
        log.exception("sealing invoice %s failed", invoice.pk)
        return [Problem("xml_invalido", "xml", "No se pudo generar el XML del CFDI con estos datos "
                        f"({type(exc).__name__}). Revisa el texto y los importes de las partidas, corrige y "
                        "reintenta; si persiste, avísanos.")]
    return SealedDocument(xml=sealed.xml, fecha=draft.fecha, receptor=receptor_snapshot(draft.receptor))


def hold_invoice(invoice: Invoice, problems: list[Problem], *, as_of: datetime, actor: str = "sistema") -> Invoice:
    """Park the invoice with its reasons; it goes out once corrected (never dropped)."""
    message = " ".join(p.message for p in problems)
    try:
        with transaction.atomic():
            move(
                invoice,
                InvoiceStatus.HELD,
                as_of=as_of,
                kind="held",
                actor=actor,
                message=message,
                data={"problems": [{"code": p.code, "field": p.field, "message": p.message} for p in problems]},
                hold_code=problems[0].code,
                hold_message=message,
                next_attempt_at=None,
            )
    except LostRace:
        invoice.refresh_from_db()
    return invoice


def receptor_snapshot(r: Receptor) -> dict[str, str]:
    """The receptor as sealed, kept on the invoice (the customer record may change later)."""
    return {
        "rfc": r.rfc,
        "nombre": r.nombre,
        "regimen_fiscal": r.regimen_fiscal_receptor,
        "codigo_postal": r.domicilio_fiscal_receptor,
        "uso_cfdi": r.uso_cfdi,
    }
