"""Plans and schedules: what a caller sends, what it gets back, and previews of future invoices."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema, LineAmountsOut, Quantity, TotalsOut, UnitPrice, money
from timbra.api.schemas.invoices import LineIn, TipoCambio
from timbra.domain.periods import Frequency
from timbra.schedules import selectors
from timbra.schedules.calendar import remaining_cycles
from timbra.schedules.inputs import PlanInput, ScheduleInput
from timbra.schedules.lines import LineOverride

FREQUENCY_HELP = ("weekly, every_2_weeks, monthly, every_2_months, quarterly, every_6_months, yearly, "
                  "every_n_days:N, every_n_weeks:N, every_n_months:N")
LINES_HELP = ("Partidas: `product_id` (su clave, precio e impuestos) y/o campos explícitos. `descripcion` es una "
              "plantilla: {periodo}, {mes}, {año}, {inicio}, {fin} (p. ej. «Mantenimiento {periodo}»).")


class OverrideIn(InputSchema):
    position: int = Field(ge=1, description="Partida del plan (1 = la primera).")
    unit_price: UnitPrice | None = None
    cantidad: Quantity | None = None

    def to_input(self) -> LineOverride:
        return LineOverride(position=self.position, unit_price=self.unit_price, cantidad=self.cantidad)


class PlanIn(InputSchema):
    name: str = Field(max_length=200)
    lines: list[LineIn] = Field(min_length=1, max_length=100, description=LINES_HELP)
    frequency: str = Field("monthly", max_length=40, description=FREQUENCY_HELP)
    notice_days: int = Field(3, ge=0, le=60, description="Días de aviso al cliente antes de cada factura.")
    prepaid: bool = Field(False, description="Prepagado: PUE con su forma de pago. Si no, PPD con forma 99.")
    forma_pago: str | None = Field(None, max_length=2)
    moneda: str = Field("MXN", max_length=3)

    def to_input(self) -> PlanInput:
        return PlanInput(name=self.name, lines=tuple(line.to_input() for line in self.lines),
                         frequency=self.frequency, notice_days=self.notice_days, prepaid=self.prepaid,
                         forma_pago=self.forma_pago, moneda=self.moneda)


class PlanPatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=100,
                                       description="Nuevas partidas: aplican desde la próxima factura de cada "
                                       "suscriptor; los precios especiales de cada uno se conservan.")
    notice_days: int | None = Field(None, ge=0, le=60)
    prepaid: bool | None = None
    forma_pago: str | None = Field(None, max_length=2)
    active: bool | None = Field(None, description="false: el plan ya no acepta suscripciones nuevas.")

    def changes(self) -> dict[str, Any]:
        data = {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None and k != "lines"}
        if self.lines is not None:
            data["lines"] = tuple(line.to_input() for line in self.lines)
        return data


class PlanOut(Schema):
    id: int
    livemode: bool
    name: str
    frequency: str
    frequency_label: str
    lines: list[dict[str, Any]]
    notice_days: int
    prepaid: bool
    forma_pago: str
    moneda: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_frequency_label(obj: Any) -> str:
        return Frequency.parse(obj.frequency).label


class ScheduleIn(InputSchema):
    customer_id: int
    plan_id: int | None = Field(None, description="Suscribe al cliente a un plan (sus partidas y frecuencia).")
    lines: list[LineIn] | None = Field(None, max_length=100, description=LINES_HELP + " Sin plan.")
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=100,
                                        description="Precio o cantidad propios de este cliente sobre el plan.")
    frequency: str | None = Field(None, max_length=40, description=FREQUENCY_HELP)
    anchor_date: date | None = Field(None, description="Fija el día (31 → último día en meses cortos).")
    start_date: date | None = Field(None, description="Primer día de facturación (hoy si se omite).")
    end_date: date | None = Field(None, description="Último día en que puede emitirse una factura.")
    cycles: int | None = Field(None, ge=1, le=10_000, description="Número de facturas (en lugar de end_date).")
    timezone: str | None = Field(None, max_length=64, description="Zona IANA; la de la organización si se omite.")
    issue_time: time | None = Field(None, description="Hora local de emisión (06:00 si se omite).")
    prepaid: bool | None = None
    forma_pago: str | None = Field(None, max_length=2)
    uso_cfdi: str | None = Field(None, max_length=4)
    serie: str | None = Field(None, max_length=25)
    moneda: str | None = Field(None, max_length=3)
    tipo_cambio: TipoCambio | None = None
    notice_days: int | None = Field(None, ge=0, le=60)
    send_email: bool = True
    name: str = Field("", max_length=200)
    activate: bool = Field(True, description="false: queda en borrador hasta POST /schedules/{id}/activate.")

    def to_input(self) -> ScheduleInput:
        return ScheduleInput(
            customer_id=self.customer_id, plan_id=self.plan_id,
            lines=tuple(line.to_input() for line in self.lines) if self.lines is not None else None,
            overrides=tuple(o.to_input() for o in self.overrides), frequency=self.frequency,
            anchor_date=self.anchor_date, start_date=self.start_date, end_date=self.end_date, cycles=self.cycles,
            timezone=self.timezone, issue_time=self.issue_time, prepaid=self.prepaid, forma_pago=self.forma_pago,
            uso_cfdi=self.uso_cfdi, serie=self.serie, moneda=self.moneda, tipo_cambio=self.tipo_cambio,
            notice_days=self.notice_days, send_email=self.send_email, name=self.name,
        )


class LinesChangeIn(InputSchema):
    """Every field optional so another org's id is a 404 before any 422."""

    lines: list[LineIn] | None = Field(None, min_length=1, max_length=100, description=LINES_HELP)
    overrides: list[OverrideIn] | None = Field(None, max_length=100)


class CancelIn(InputSchema):
    at_period_end: bool = Field(True, description="true: termina al final del periodo ya facturado; "
                                "false: de inmediato.")


class PreviewLineOut(LineAmountsOut):
    descripcion: str
    cantidad: str
    valor_unitario: str
    descuento: str
    importe: str
    taxes: list[str]


class PreviewOut(TotalsOut):
    """An invoice a schedule will issue (nothing is issued by asking)."""

    schedule_id: int
    schedule_name: str
    customer_id: int
    customer_rfc: str
    customer_nombre: str
    index: int = Field(description="Número de ciclo de la programación (0 = el primero).")
    period_key: str
    period_label: str
    period_start: date
    period_end: date
    local_date: date = Field(description="Día de emisión (calendario local de la programación).")
    due_at: datetime
    metodo_pago: str
    forma_pago: str
    moneda: str
    lines: list[PreviewLineOut]
    subtotal: str
    descuento: str
    total_impuestos_trasladados: str
    total_impuestos_retenidos: str
    total: str
    error: dict[str, str] | None = Field(description="Por qué no se podría emitir (se corrige antes de la fecha).")

    @staticmethod
    def resolve_error(obj: Any) -> dict[str, str] | None:
        return {"code": obj.error_code, "message": obj.error_message} if obj.error_code else None


class PreviewListOut(Schema):
    until: date
    count: int
    totals: dict[str, str] = Field(description="Suma de los totales por moneda.")
    invoices: list[PreviewOut]


class MrrOut(Schema):
    mxn: str = Field(description="Ingreso mensual recurrente en MXN, antes de impuestos.")
    schedules: int
    other_currencies: dict[str, str] = Field(description="Otras monedas, sin convertir.")
    failed_schedule_ids: list[int]


class CustomerBrief(Schema):
    id: int
    rfc: str
    nombre: str


class PlanBrief(Schema):
    id: int
    name: str


class ChangeOut(Schema):
    at: datetime
    actor: str
    kind: str
    message: str


class RunOut(Schema):
    index: int
    period_key: str
    period_label: str
    due_at: datetime
    issued_at: datetime
    invoice_id: int
    invoice_status: str
    serie_folio: str

    @staticmethod
    def resolve_invoice_status(obj: Any) -> str:
        return str(obj.invoice.status)

    @staticmethod
    def resolve_serie_folio(obj: Any) -> str:
        return str(obj.invoice.serie_folio)


class ScheduleSummary(Schema):
    id: int
    livemode: bool
    name: str
    status: str
    status_label: str
    customer: CustomerBrief
    plan: PlanBrief | None
    frequency: str
    frequency_label: str
    anchor_date: date
    start_date: date
    end_date: date | None
    cycles: int | None
    remaining_cycles: int | None
    timezone: str
    issue_time: time
    prepaid: bool
    metodo_pago: str
    forma_pago: str
    moneda: str
    notice_days: int
    cancel_at_period_end: bool
    next_invoice: PreviewOut | None = Field(description="La próxima factura: fecha, periodo, partidas e importe.")
    last_error: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)

    @staticmethod
    def resolve_remaining_cycles(obj: Any) -> int | None:
        return remaining_cycles(obj)

    @staticmethod
    def resolve_frequency_label(obj: Any) -> str:
        return Frequency.parse(obj.frequency).label

    @staticmethod
    def resolve_metodo_pago(obj: Any) -> str:
        return "PUE" if obj.prepaid else "PPD"


class ScheduleOut(ScheduleSummary):
    lines: list[dict[str, Any]] = Field(description="Partidas y precios especiales por versión (desde el ciclo).")
    history: list[ChangeOut] = Field(description="Historial, del más antiguo al más reciente.")
    issued: list[RunOut] = Field(description="Facturas emitidas, la más reciente primero (hasta 24).")

    @staticmethod
    def resolve_lines(obj: Any) -> list[dict[str, Any]]:
        return list(obj.line_versions)

    @staticmethod
    def resolve_history(obj: Any) -> list[Any]:
        return list(selectors.history(obj))

    @staticmethod
    def resolve_issued(obj: Any) -> list[Any]:
        return selectors.runs(obj)


def totals_by_currency(items: list[Any]) -> dict[str, str]:
    sums: dict[str, Decimal] = {}
    for item in items:
        sums[item.moneda] = sums.get(item.moneda, Decimal(0)) + item.total
    return {moneda: money(total) or "0.00" for moneda, total in sorted(sums.items())}
