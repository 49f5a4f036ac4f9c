"""Map database rows to the pure `InvoiceDraft` the rules and the CFDI builder read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from timbra.domain import tax_presets
from timbra.domain.draft import CfdiRelacionados, Concepto, Emisor, InformacionGlobal, InvoiceDraft, Receptor
from timbra.invoicing.models import Invoice, InvoiceLine

GENERIC_RFCS = {"XAXX010101000", "XEXX010101000"}


def local_fecha(as_of: datetime, tz_name: str) -> datetime:
    """CFDI Fecha: naive local time at the place of issue, to the second (Anexo 20)."""
    return as_of.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None, microsecond=0)


def receptor_for(invoice: Invoice) -> Receptor:
    """The receptor as of now, from the customer's current fiscal data (so a correction
    made after a hold is what the re-sealed CFDI carries)."""
    c = invoice.customer
    codigo_postal = c.codigo_postal
    if c.rfc in GENERIC_RFCS:
        # Guía de llenado: for generic RFCs DomicilioFiscalReceptor = LugarExpedicion.
        codigo_postal = invoice.org.lugar_expedicion
    return Receptor(
        rfc=c.rfc,
        nombre=c.nombre,
        domicilio_fiscal_receptor=codigo_postal,
        regimen_fiscal_receptor=c.regimen_fiscal,
        uso_cfdi=invoice.uso_cfdi or c.uso_cfdi,
    )


def draft_from_rows(invoice: Invoice, lines: Iterable[InvoiceLine], *, fecha: datetime) -> InvoiceDraft:
    """Build the draft for `invoice` with Fecha taken from aware `fecha` in the org's zone."""
    org = invoice.org
    return InvoiceDraft(
        serie=invoice.serie or None,
        folio=invoice.folio or None,
        fecha=local_fecha(fecha, org.timezone),
        tipo_de_comprobante=invoice.tipo_de_comprobante,
        lugar_expedicion=org.lugar_expedicion,
        moneda=invoice.moneda,
        tipo_cambio=invoice.tipo_cambio,
        emisor=Emisor(rfc=org.rfc, nombre=org.nombre, regimen_fiscal=org.regimen_fiscal),
        receptor=receptor_for(invoice),
        conceptos=tuple(_concepto(line) for line in lines),
        forma_pago=invoice.forma_pago or None,
        metodo_pago=invoice.metodo_pago or None,
        exportacion=invoice.exportacion,
        condiciones_de_pago=invoice.condiciones_de_pago or None,
        cfdi_relacionados=tuple(
            CfdiRelacionados(tipo_relacion=str(r["tipo_relacion"]), uuids=tuple(r["uuids"]))  # type: ignore[arg-type]
            for r in invoice.related
        ),
        informacion_global=_informacion_global(invoice.informacion_global),
    )


def _informacion_global(stored: dict[str, object]) -> InformacionGlobal | None:
    if not stored:
        return None
    return InformacionGlobal(
        periodicidad=str(stored["periodicidad"]), meses=str(stored["meses"]), año=int(str(stored["año"]))
    )


def draft_for(invoice: Invoice, *, as_of: datetime) -> InvoiceDraft:
    """The draft to seal at `as_of`: its Fecha is the one the caller asked for, else `as_of`."""
    return draft_from_rows(invoice, invoice.lines.all(), fecha=invoice.requested_fecha or as_of)


def _concepto(line: InvoiceLine) -> Concepto:
    return Concepto(
        clave_prod_serv=line.clave_prod_serv,
        clave_unidad=line.clave_unidad,
        unidad=line.unidad or None,
        cantidad=line.cantidad,
        descripcion=line.descripcion,
        valor_unitario=line.valor_unitario,
        descuento=line.descuento or None,
        objeto_imp=line.objeto_imp,
        # Every tax the line asked for, whatever its ObjetoImp: a contradiction (ObjetoImp 01 with
        # IVA) is refused by domain.rules, never resolved by dropping the taxes (issue 10).
        impuestos=tax_presets.resolve(line.taxes),
        no_identificacion=line.no_identificacion or None,
        tax_importes=tuple(None if v is None else Decimal(v) for v in line.tax_importes or ()),
    )
