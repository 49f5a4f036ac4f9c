"""create_invoice: turn a request into a draft invoice with a folio, ready for the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet

from timbra import jobs
from timbra.catalog.claves import require_clave_prod_serv, require_clave_unidad
from timbra.catalog.models import Product
from timbra.customers.models import Customer
from timbra.delivery.models import Delivery
from timbra.domain import catalogs, rules, tax_presets, taxes
from timbra.domain.draft import InvoiceDraft, TaxRate
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.drafts import draft_from_rows
from timbra.invoicing.errors import InvoicingError, NotFound
from timbra.invoicing.fecha import requested_fecha
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice, InvoiceDocument, InvoiceEvent, InvoiceLine
from timbra.invoicing.refusal import refusal
from timbra.invoicing.transitions import record
from timbra.orgs.models import Org, Series

MAX_DESCRIPCION = 1000  # cfdv40.xsd Concepto/@Descripcion


def create_invoice(
    org: Org, request: InvoiceInput, *, livemode: bool, as_of: datetime, actor: str = "api",
    expect_new: bool = False, in_transaction: Callable[[Invoice], object] | None = None,
) -> Invoice:
    """Create a draft invoice and queue it for sealing, stamping and delivery.

    At most one invoice per business fact: when `request.source`/`source_id` are set and an
    invoice already exists for them, that invoice is returned (the unique constraint, not a
    check-before-insert, is the guarantee). `expect_new`: skip the up-front lookup (the
    caller just claimed the business key, e.g. a fresh Idempotency-Key); a duplicate still
    collapses on the constraint. `in_transaction` runs inside the insert's transaction, after
    the invoice is written (the API stores the Idempotency-Key's answer with the invoice);
    it is not called when an existing invoice is returned."""
    if request.source and not expect_new:
        existing = _existing_for_source(org, request)
        if existing is not None:
            return existing
    invoice, lines = prepare_invoice(org, request, livemode=livemode, as_of=as_of)
    try:
        # Only the writes hold the (SQLite: database-wide) write lock; reads and tax
        # computation happened above.
        with transaction.atomic():
            _insert(invoice, lines, as_of=as_of, actor=actor)
            if in_transaction is not None:
                in_transaction(invoice)
    except IntegrityError:
        existing = _existing_for_source(org, request) if request.source else None
        if existing is None:
            raise
        return existing
    jobs.enqueue_on_commit("invoicing.process", invoice_id=invoice.pk)
    return invoice


def _existing_for_source(org: Org, request: InvoiceInput) -> Invoice | None:
    return Invoice.objects.filter(org=org, source=request.source, source_id=request.source_id).first()


def prepare_invoice(
    org: Org, request: InvoiceInput, *, livemode: bool, as_of: datetime, customer: Customer | None = None
) -> tuple[Invoice, list[InvoiceLine]]:
    """Validate the request and compute the unsaved invoice, its lines and totals (no writes).

    The read-only half of `create_invoice`; previews (schedules, notices) use it so what they
    show is exactly what would be issued."""
    # Slices, not .first(): a lookup by primary key needs no ORDER BY (nor Django compiling one).
    if customer is None or (customer.pk, customer.org_id, customer.livemode) != (request.customer_id, org.pk, livemode):
        # `customer`, when given, is the caller's already-loaded row for request.customer_id.
        customer = next(iter(Customer.objects.filter(pk=request.customer_id, org=org, livemode=livemode)[:1]), None)
    if customer is None:
        raise NotFound("cliente")
    metodo_pago, forma_pago = _payment_terms(request)
    fecha = requested_fecha(request.fecha, tz=ZoneInfo(org.timezone), as_of=as_of)
    moneda = request.moneda.upper()
    entry = catalogs.moneda(moneda)
    decimals = entry.decimales if entry is not None else 2  # an unknown moneda is refused below
    lines = [_resolve_line(org, line, livemode=livemode, index=i, decimals=decimals)
             for i, line in enumerate(request.lines)]
    if not lines:
        raise InvoicingError("lines_required", "La factura necesita al menos una partida.", field="lines")
    invoice = Invoice(
        org=org,
        livemode=livemode,
        customer=customer,
        status=InvoiceStatus.DRAFT,
        status_changed_at=as_of,
        source=request.source,
        source_id=request.source_id,
        serie=(request.serie or org.default_serie).strip().upper(),
        tipo_de_comprobante=request.tipo_de_comprobante,
        metodo_pago=metodo_pago,
        forma_pago=forma_pago,
        moneda=moneda,
        tipo_cambio=request.tipo_cambio,
        condiciones_de_pago=request.condiciones_de_pago,
        uso_cfdi=request.uso_cfdi or "",
        send_email=request.send_email,
        related=list(request.related),
        informacion_global=dict(request.informacion_global or {}),
        created_at=as_of,
        requested_fecha=fecha,
    )
    draft = draft_from_rows(invoice, lines, fecha=fecha or as_of)
    _check_request(draft)
    _set_totals(invoice, lines, draft)
    return invoice, lines


def _check_request(draft: InvoiceDraft) -> None:
    """Refuse what the caller asked for when a PAC would reject it (issue 10: nothing the caller
    asked for is dropped or changed to make it fit). The customer's and the org's own data are
    checked when sealing: a problem there holds the invoice until corrected."""
    problems = rules.check_request(draft, as_of=draft.fecha.date())
    if problems:
        raise refusal(problems)


def _insert(invoice: Invoice, lines: list[InvoiceLine], *, as_of: datetime, actor: str) -> None:
    invoice.folio = str(take_folio(invoice.org, invoice.serie))
    invoice.save(force_insert=True)
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    InvoiceDocument.objects.create(invoice=invoice)
    created = record(invoice, "created", as_of=as_of, actor=actor, to_status=InvoiceStatus.DRAFT,
                     message=f"Factura {invoice.serie_folio} creada por {actor}.")
    # What prefetch_related("lines", "deliveries", "events") would read back right now, so the
    # caller can answer with the whole invoice without querying it again.
    invoice._prefetched_objects_cache = {
        "lines": _as_prefetched(InvoiceLine, lines),
        "deliveries": _as_prefetched(Delivery, []),
        "events": _as_prefetched(InvoiceEvent, [created]),
    }


def _as_prefetched(model: type[Model], rows: list[Any]) -> QuerySet[Any]:
    queryset = model._default_manager.all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    return queryset


def _payment_terms(request: InvoiceInput) -> tuple[str, str]:
    metodo = request.metodo_pago.upper()
    if metodo not in {"PUE", "PPD"}:
        raise InvoicingError("metodo_pago_invalid", "El método de pago debe ser PUE o PPD.", field="metodo_pago")
    if metodo == "PPD":
        # Anexo 20 / CFDI40105: with PPD the forma de pago is "99 Por definir". Another forma is
        # refused rather than replaced, so the caller learns it (issue 10, defect 5): the real
        # forma goes in the REP (complemento de pago) when the money arrives.
        if request.forma_pago not in (None, "", "99"):
            raise InvoicingError(
                "CFDI40105",
                "Con método de pago PPD la forma de pago es «99 Por definir»: la forma real se registra en el "
                "complemento de pago cuando llegue el dinero. Omite forma_pago o envía 99.",
                field="forma_pago",
            )
        return metodo, "99"
    if not request.forma_pago or request.forma_pago == "99":
        raise InvoicingError(
            "forma_pago_required",
            "Con PUE (pago en una sola exhibición) indica la forma de pago; «99 Por definir» solo va con PPD.",
            field="forma_pago",
        )
    return metodo, request.forma_pago


def take_folio(org: Org, serie: str) -> int:
    """Atomically take the next folio of `serie` inside the caller's transaction (public: the
    REPs of receivables number their own serie the same way).

    One `UPDATE … RETURNING` (SQLite ≥ 3.35 and PostgreSQL): the row lock it takes is what
    makes two concurrent invoices get different folios."""
    table = Series._meta.db_table
    sql = f"UPDATE {table} SET next_folio = next_folio + 1 WHERE org_id = %s AND code = %s RETURNING next_folio"
    with connection.cursor() as cursor:
        cursor.execute(sql, [org.pk, serie])
        row = cursor.fetchone()
        if row is None:
            Series.objects.get_or_create(org=org, code=serie)
            cursor.execute(sql, [org.pk, serie])
            row = cursor.fetchone()
    return int(row[0]) - 1


def _resolve_line(org: Org, line: LineInput, *, livemode: bool, index: int, decimals: int) -> InvoiceLine:
    product = None
    if line.product_id is not None:
        product = next(iter(Product.objects.filter(pk=line.product_id, org=org, livemode=livemode)[:1]), None)
        if product is None:
            raise NotFound(f"producto de la partida {index + 1}")
    field = f"lines[{index}]"

    def pick(value: object, default: object, name: str) -> object:
        chosen = value if value is not None else default
        if chosen is None or chosen == "":
            raise InvoicingError("line_field_required", f"Falta «{name}» en la partida {index + 1}.",
                                 field=f"{field}.{name}")
        return chosen

    codes = tuple(pick(line.taxes, product.taxes if product else None, "taxes"))  # type: ignore[arg-type]
    try:
        rates = tax_presets.resolve(codes)
    except ValueError as exc:
        raise InvoicingError("tax_invalid", str(exc), field=f"{field}.taxes") from exc
    price = Decimal(pick(line.unit_price, product.unit_price if product else None, "unit_price"))  # type: ignore[arg-type]
    includes = bool(pick(line.price_includes_taxes, product.price_includes_taxes if product else False,
                         "price_includes_taxes"))
    for name, value, places in (("cantidad", line.cantidad, 6), ("unit_price", price, 6),
                                ("descuento", line.descuento, 2)):
        if value.as_tuple().exponent < -places:  # type: ignore[operator]
            raise InvoicingError("too_many_decimals", f"«{name}» de la partida {index + 1} admite hasta "
                                 f"{places} decimales.", field=f"{field}.{name}")
    if line.cantidad <= 0:
        raise InvoicingError("cantidad_invalid", f"La cantidad de la partida {index + 1} debe ser mayor que cero.",
                             field=f"{field}.cantidad")
    if price < 0:
        raise InvoicingError("price_invalid", f"El precio de la partida {index + 1} no puede ser negativo.",
                             field=f"{field}.unit_price")
    objeto_imp = str(pick(line.objeto_imp, product.objeto_imp if product else ("02" if codes else "01"),
                          "objeto_imp"))
    # The full SAT catalogs, before the PAC (issue 11): 99999999 is well formed and no clave at all.
    clave_prod_serv = str(pick(line.clave_prod_serv, product.clave_prod_serv if product else None, "clave_prod_serv"))
    clave_unidad = str(pick(line.clave_unidad, product.clave_unidad if product else None, "clave_unidad"))
    require_clave_prod_serv(clave_prod_serv, field=f"{field}.clave_prod_serv")
    require_clave_unidad(clave_unidad, field=f"{field}.clave_unidad")
    valor_unitario, tax_importes = price, []
    if includes and price > 0:
        valor_unitario, tax_importes = _from_gross(price, rates, line.cantidad, decimals, index)
    return InvoiceLine(
        position=index + 1,
        product=product,
        clave_prod_serv=clave_prod_serv,
        clave_unidad=clave_unidad,
        unidad=line.unidad if line.unidad is not None else (product.unidad if product else ""),
        no_identificacion=line.no_identificacion or (product.sku if product else ""),
        descripcion=_descripcion(pick(line.descripcion, product.descripcion if product else None, "descripcion"), index),
        cantidad=line.cantidad,
        valor_unitario=valor_unitario,
        descuento=line.descuento,
        objeto_imp=objeto_imp,
        taxes=list(codes),
        tax_importes=tax_importes,
    )


def _descripcion(value: object, index: int) -> str:
    """Anexo 20 allows 1,000 characters; a longer text is refused, never cut behind the caller's back."""
    text = str(value)
    if len(text) > MAX_DESCRIPCION:
        raise InvoicingError("texto_demasiado_largo", f"La descripción de la partida {index + 1} tiene {len(text)} "
                             f"caracteres; el SAT admite hasta {MAX_DESCRIPCION}.", field=f"lines[{index}].descripcion")
    return text


def _from_gross(
    price: Decimal, rates: tuple[TaxRate, ...], cantidad: Decimal, decimals: int, index: int
) -> tuple[Decimal, list[str | None]]:
    """ValorUnitario and tax Importes for a tax-inclusive price ("price includes IVA" means the
    traslados; retentions then come off the Total), landing exactly on price x cantidad."""
    traslados = [r for r in rates if not r.retencion]
    try:
        gross = taxes.line_from_gross(price, traslados, cantidad, decimals)
    except taxes.TaxComputationError as exc:
        raise InvoicingError(
            "total_inalcanzable",
            f"La partida {index + 1}: ningún precio sin impuestos da exactamente el total con impuestos "
            f"({exc}); con cantidades grandes el importe solo avanza en pasos de varios centavos. Envía el precio "
            "sin impuestos, o una partida con cantidad 1 por el total.",
            field=f"lines[{index}].unit_price",
        ) from exc
    overrides = iter(gross.tax_importes)
    importes = [None if rate.retencion else next(overrides) for rate in rates]
    if all(v is None for v in importes):
        return gross.valor_unitario, []
    return gross.valor_unitario, [None if v is None else f"{v:f}" for v in importes]


def _set_totals(invoice: Invoice, lines: list[InvoiceLine], draft: InvoiceDraft) -> None:
    """Compute what the CFDI will state (domain.taxes mirrors the XML exactly)."""
    try:
        totals = taxes.compute_totals(draft)
    except taxes.TaxComputationError as exc:
        # The rules above catch every contradiction we know; this is the net under them.
        raise InvoicingError("importe_invalido", f"No se pueden calcular los importes: {exc}") from exc
    for line, concept in zip(lines, totals.conceptos, strict=True):
        line.importe = concept.importe
    invoice.subtotal = totals.sub_total
    invoice.descuento = totals.descuento or Decimal(0)
    invoice.total_traslados = totals.total_impuestos_trasladados or Decimal(0)
    invoice.total_retenciones = totals.total_impuestos_retenidos or Decimal(0)
    invoice.total = totals.total
