"""`timbra import payments FILE.csv`: sales paid outside any connected gateway, one per row,
each invoiced by the same service as POST /api/v1/payments with purpose "invoice".

Columns (header row; names are case-insensitive, `;` or `,` separated; UTF-8 with or without BOM,
or what Excel writes in Mexico, Windows-1252 / Latin-1: `decode_file` detects it and says which):

| column | required | meaning |
|---|---|---|
| external_id | yes | your id of the sale: the business key, so re-importing a file creates nothing twice |
| fecha | yes | when it was paid: AAAA-MM-DD (12:00 local) or ISO date-time (no zone: the org's) |
| monto | yes | total paid, taxes included, e.g. 1160.00 |
| moneda | no | ISO code, MXN by default |
| tipo_cambio | if not MXN | pesos per unit |
| forma_pago / metodo | one | c_FormaPago code (03, 04, 28…) or a method name (transferencia, tarjeta_credito, oxxo…) |
| cliente_id | no | a Timbra customer id; else the customer is matched or created from: |
| rfc, nombre (razon_social), email (correo), codigo_postal (cp), regimen_fiscal (regimen), uso_cfdi | no | fiscal data |
| descripcion (concepto) | yes | the invoice line's description |
| cantidad | no | 1 by default (monto is the line's total) |
| producto (clave), precio | no | your product and price ids, for the invoicing rules |
| meta_<name> | no | metadata `<name>` (the invoicing rules and the metadata keys read it) |

Every row gets an outcome: accepted (new), duplicate (already imported: nothing created) or
rejected, with the row number and a Spanish reason. A rejected row never stops the rest (a field
over the csv module's 128 KB limit included: that row is rejected, issue 14 §1).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import IO
from zoneinfo import ZoneInfo

from charset_normalizer import from_bytes

from timbra.invoicing.errors import InvoicingError
from timbra.orgs.models import Org
from timbra.payments.gateways.base import CustomerData, PaymentLine
from timbra.payments.models import Payment
from timbra.payments.services.external_payments import ExternalPaymentInput, record_external_payment

log = logging.getLogger(__name__)

ALIASES = {
    "razon_social": "nombre", "cliente": "nombre", "correo": "email", "cp": "codigo_postal",
    "regimen": "regimen_fiscal", "concepto": "descripcion", "clave": "producto", "forma_de_pago": "forma_pago",
    "metodo_pago": "metodo",
}  # fmt: skip
COLUMNS = frozenset({
    "external_id", "fecha", "monto", "moneda", "tipo_cambio", "forma_pago", "metodo", "cliente_id", "rfc",
    "nombre", "email", "codigo_postal", "regimen_fiscal", "uso_cfdi", "descripcion", "cantidad", "producto",
    "precio",
})  # fmt: skip
REQUIRED = ("external_id", "fecha", "monto")
ACCEPTED, DUPLICATE, REJECTED = "aceptada", "ya importada", "rechazada"
REPORT_FIELDS = ["fila", "external_id", "resultado", "estado", "pago_id", "factura", "motivo"]


ROW_ERROR = "__row_error__"  # a row the csv module could not read: rejected with this reason
# What a spreadsheet in Mexico writes when it does not write UTF-8 (Excel: Windows-1252).
LEGACY_ENCODINGS = ["cp1252", "latin_1", "utf_16"]
ENCODING_NAMES = {"utf_8": "UTF-8", "cp1252": "Windows-1252", "latin_1": "Latin-1 (ISO-8859-1)",
                  "utf_16": "UTF-16"}


class FileRejected(Exception):
    """The file as a whole cannot be read (no header, unknown or missing columns)."""


def decode_file(data: bytes) -> tuple[str, str]:
    """(text, the encoding's name for people): UTF-8 (with or without BOM) when it is UTF-8,
    else the legacy encoding charset-normalizer finds most plausible; FileRejected if none fits."""
    try:
        return data.decode("utf-8-sig"), ENCODING_NAMES["utf_8"]
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        raise FileRejected("No se reconoce la codificación del archivo: guárdalo como CSV UTF-8.")
    return str(best), ENCODING_NAMES.get(best.encoding, best.encoding)


@dataclass(frozen=True)
class RowResult:
    row: int  # the line number in the file (the header is line 1)
    external_id: str
    outcome: str  # ACCEPTED, DUPLICATE or REJECTED
    reason: str = ""
    payment: Payment | None = None

    def as_report(self) -> dict[str, str]:
        payment = self.payment
        invoice = payment.invoice if payment is not None and payment.invoice_id else None
        return {
            "fila": str(self.row), "external_id": self.external_id, "resultado": self.outcome,
            "estado": payment.get_status_display() if payment is not None else "",
            "pago_id": str(payment.pk) if payment is not None else "",
            "factura": (invoice.serie_folio or str(invoice.pk)) if invoice is not None else "",
            "motivo": self.reason or (payment.status_reason if payment is not None else ""),
        }  # fmt: skip


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def summary(self) -> str:
        """One Spanish line: how many rows, accepted (new / already there), rejected."""
        total, new, dup = len(self.results), self.count(ACCEPTED), self.count(DUPLICATE)
        return (f"{total} fila{'s' if total != 1 else ''}: {new + dup} aceptada{'s' if new + dup != 1 else ''} "
                f"({new} nueva{'s' if new != 1 else ''}, {dup} ya importada{'s' if dup != 1 else ''}), "
                f"{self.count(REJECTED)} rechazada{'s' if self.count(REJECTED) != 1 else ''}.")


def read_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with canonical column names) for each data row; FileRejected if the header is wrong."""
    sample = stream.read(4096)
    stream.seek(0)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(stream, dialect)
    header = next(reader, None)
    if not header:
        raise FileRejected("El archivo está vacío: la primera fila debe tener los nombres de las columnas.")
    names = [_column(name) for name in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n not in COLUMNS and not n.startswith("meta_")]
    if unknown:
        raise FileRejected(f"Columna desconocida: «{unknown[0]}». Columnas válidas: {', '.join(sorted(COLUMNS))} "
                           "y meta_<nombre> para metadatos.")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise FileRejected(f"Falta la columna obligatoria «{missing[0]}».")
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over 128 KB: this row is rejected, the rest goes on
            yield reader.line_num, {ROW_ERROR: f"La fila no se pudo leer como CSV ({exc})."}
            continue
        if any(v.strip() for v in values):
            yield reader.line_num, {n: v.strip() for n, v in zip(names, values, strict=False)}


def import_payments(
    org: Org, rows: Iterable[tuple[int, dict[str, str]]], *, livemode: bool, as_of: datetime,
    on_row: Callable[[RowResult], None] | None = None,
) -> ImportReport:
    """Record and invoice each row (never twice per external_id); report every row's outcome."""
    report, tz = ImportReport(), ZoneInfo(org.timezone)
    for line, row in rows:
        result = _import_row(org, line, row, livemode=livemode, as_of=as_of, tz=tz)
        report.results.append(result)
        if on_row is not None:
            on_row(result)
    return report


def write_report(report: ImportReport, stream: IO[str]) -> None:
    """The per-row report as CSV (fila, external_id, resultado, estado, pago_id, factura, motivo)."""
    writer = csv.DictWriter(stream, fieldnames=REPORT_FIELDS)
    writer.writeheader()
    for result in report.results:
        writer.writerow(result.as_report())


def _import_row(
    org: Org, line: int, row: dict[str, str], *, livemode: bool, as_of: datetime, tz: ZoneInfo
) -> RowResult:
    external_id = row.get("external_id", "")
    if ROW_ERROR in row:
        return RowResult(line, external_id, REJECTED, reason=row[ROW_ERROR])
    try:
        data = parse_row(row, tz=tz, as_of=as_of)
        payment, created = record_external_payment(org, data, livemode=livemode, as_of=as_of)
    except InvoicingError as exc:
        return RowResult(line, external_id, REJECTED, reason=exc.message)
    except Exception as exc:  # one broken row must not stop the file; the report says which
        log.exception("import row %s failed", line)
        return RowResult(line, external_id, REJECTED, reason=f"Error inesperado ({type(exc).__name__}).")
    return RowResult(line, external_id, ACCEPTED if created else DUPLICATE, payment=payment)


def parse_row(row: dict[str, str], *, tz: ZoneInfo, as_of: datetime) -> ExternalPaymentInput:
    """One row as the service's input; InvoicingError (Spanish, naming the column) if a value is wrong."""
    external_id = row.get("external_id", "")
    if not external_id or len(external_id) > 190:
        raise InvoicingError("external_id_required", "La columna external_id es obligatoria (hasta 190 "
                             "caracteres): es la clave que evita importar dos veces la misma venta.",
                             field="external_id")
    amount = _decimal(row, "monto", required=True)
    assert amount is not None
    customer_id = row.get("cliente_id", "")
    if customer_id and not customer_id.isdigit():
        raise InvoicingError("value_invalid", f"cliente_id «{customer_id}» debe ser un número.", field="cliente_id")
    description = row.get("descripcion", "")
    cantidad = _decimal(row, "cantidad") or Decimal(1)
    lines = (PaymentLine(descripcion=description, cantidad=cantidad, amount=amount,
                         product_id=row.get("producto", ""), price_id=row.get("precio", "")),) if description else ()
    return ExternalPaymentInput(
        external_id=external_id, amount=amount, currency=row.get("moneda") or "MXN",
        paid_at=_paid_at(row.get("fecha", ""), tz=tz, as_of=as_of),
        forma_pago=row.get("forma_pago", ""), method=row.get("metodo", ""),
        exchange_rate=_decimal(row, "tipo_cambio"), description=description, lines=lines,
        customer_id=int(customer_id) if customer_id else None,
        customer=CustomerData(**{k: row.get(k, "") for k in ("rfc", "nombre", "email", "codigo_postal",
                                                             "regimen_fiscal", "uso_cfdi")}),
        metadata={k.removeprefix("meta_"): v for k, v in row.items() if k.startswith("meta_") and v},
    )  # fmt: skip


def _column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def _decimal(row: dict[str, str], column: str, *, required: bool = False) -> Decimal | None:
    text = row.get(column, "").replace("$", "").replace(" ", "")
    if not text:
        if required:
            raise InvoicingError("value_required", f"La columna {column} es obligatoria.", field=column)
        return None
    if "," in text and "." in text:  # 1,160.00: thousands separators
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise InvoicingError("value_invalid", f"{column} «{row[column]}» no es un número positivo (usa punto "
                             "decimal, p. ej. 1160.00).", field=column)
    return value


def _paid_at(text: str, *, tz: ZoneInfo, as_of: datetime) -> datetime:
    """A bare date is 12:00 that day (SAT's guide when the hour is unknown), or now if still ahead."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return min(datetime.combine(day, time(12, 0), tzinfo=tz), as_of.replace(microsecond=0))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvoicingError("fecha_invalid", f"fecha «{text}» no es válida: usa AAAA-MM-DD o AAAA-MM-DDTHH:MM.",
                             field="fecha") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
