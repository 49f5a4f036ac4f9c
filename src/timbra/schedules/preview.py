"""What a schedule's invoice for one cycle will say, computed exactly as create_invoice computes it,
without writing anything.

The request comes from `lines.invoice_request` (the issuer's own function) and the amounts from
the same code path `create_invoice` uses before it inserts (`invoicing.create.prepare_invoice`:
product defaults, "price includes taxes", timbra.domain.taxes), so a preview is what is issued.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from timbra.domain.money import AMOUNT_SCALE, RATE_SCALE, from_minor, to_minor
from timbra.domain.schedule_dates import Occurrence
from timbra.invoicing.create import prepare_invoice as prepare_unsaved_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput
from timbra.invoicing.models import Invoice, InvoiceLine
from timbra.schedules.lines import invoice_request
from timbra.schedules.models import Schedule

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PreviewLine:
    descripcion: str
    cantidad: Decimal
    valor_unitario: Decimal  # tax-exclusive, as the CFDI states it
    descuento: Decimal
    importe: Decimal
    taxes: tuple[str, ...]
    clave_prod_serv: str
    clave_unidad: str


@dataclass(frozen=True)
class PreviewInvoice:
    """One invoice a schedule will issue. `error_*` set when it could not be computed (the
    issuer would fail the same way: e.g. a product that no longer exists)."""

    schedule_id: int
    schedule_name: str
    livemode: bool
    customer_id: int
    customer_rfc: str
    customer_nombre: str
    index: int
    period_key: str
    period_label: str
    period_start: date
    period_end: date
    local_date: date
    due_at: datetime
    notice_days: int
    metodo_pago: str
    forma_pago: str
    moneda: str
    lines: tuple[PreviewLine, ...]
    subtotal: Decimal
    descuento: Decimal
    total_traslados: Decimal
    total_retenciones: Decimal
    total: Decimal
    error_code: str = ""
    error_message: str = ""

    def as_json(self) -> dict[str, Any]:
        """JSON-safe (decimals and dates as text)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


class Estimator:
    """Computes previews; caches amounts by everything but the descriptions and the customer
    (neither changes a total), so a year of monthly cycles costs one computation."""

    def __init__(self, *, as_of: datetime) -> None:
        self.as_of = as_of
        self._cache: dict[tuple[int, bool, InvoiceInput], tuple[Invoice, list[InvoiceLine]]] = {}

    def estimate(self, schedule: Schedule, occurrence: Occurrence) -> PreviewInvoice:
        """The invoice `schedule` will issue for `occurrence` (schedule with customer and plan loaded)."""
        try:
            request = invoice_request(schedule, occurrence)
            invoice, lines = self._amounts(schedule, request)
        except InvoicingError as exc:
            return _failed(schedule, occurrence, exc)
        preview_lines = tuple(
            PreviewLine(
                descripcion=wanted.descripcion or line.descripcion,
                cantidad=_stored(line.cantidad, RATE_SCALE),
                valor_unitario=_stored(line.valor_unitario, RATE_SCALE),
                descuento=_stored(line.descuento, AMOUNT_SCALE),
                importe=_stored(line.importe, AMOUNT_SCALE),
                taxes=tuple(line.taxes),
                clave_prod_serv=line.clave_prod_serv,
                clave_unidad=line.clave_unidad,
            )
            for wanted, line in zip(request.lines, lines, strict=True)
        )
        return PreviewInvoice(
            **_heading(schedule, occurrence),
            metodo_pago=invoice.metodo_pago,
            forma_pago=invoice.forma_pago,
            moneda=invoice.moneda,
            lines=preview_lines,
            **{name: _stored(getattr(invoice, name), AMOUNT_SCALE)
               for name in ("subtotal", "descuento", "total_traslados", "total_retenciones", "total")},
        )

    def _amounts(self, schedule: Schedule, request: InvoiceInput) -> tuple[Invoice, list[InvoiceLine]]:
        key_request = replace(
            request, customer_id=0, source_id="",
            lines=tuple(replace(line, descripcion=None) for line in request.lines),
        )
        key = (schedule.org_id, schedule.livemode, key_request)
        if key not in self._cache:
            self._cache[key] = prepare_unsaved_invoice(
                schedule.org, request, livemode=schedule.livemode, as_of=self.as_of
            )
        return self._cache[key]


def _stored(value: Decimal, scale: int) -> Decimal:
    """The value as the database will hand it back (money.from_minor: exactly `scale` decimals),
    so a preview and the issued invoice print the same text. Exact: to_minor never rounds."""
    return from_minor(to_minor(value, scale), scale)


def _heading(schedule: Schedule, occurrence: Occurrence) -> dict[str, Any]:
    customer = schedule.customer
    return {
        "schedule_id": schedule.pk,
        "schedule_name": schedule.display_name,
        "livemode": schedule.livemode,
        "customer_id": customer.pk,
        "customer_rfc": customer.rfc,
        "customer_nombre": customer.nombre,
        "index": occurrence.index,
        "period_key": occurrence.period.key,
        "period_label": occurrence.period.label,
        "period_start": occurrence.period.start_date,
        "period_end": occurrence.period.end_date,
        "local_date": occurrence.local_date,
        "due_at": occurrence.due_at,
        "notice_days": schedule.notice_days,
    }


def _failed(schedule: Schedule, occurrence: Occurrence, exc: InvoicingError) -> PreviewInvoice:
    return PreviewInvoice(
        **_heading(schedule, occurrence),
        metodo_pago="PUE" if schedule.prepaid else "PPD",
        forma_pago=schedule.forma_pago if schedule.prepaid else "99",
        moneda=schedule.moneda,
        lines=(),
        subtotal=ZERO,
        descuento=ZERO,
        total_traslados=ZERO,
        total_retenciones=ZERO,
        total=ZERO,
        error_code=exc.code,
        error_message=exc.message,
    )
