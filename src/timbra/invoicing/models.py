"""Invoices, their lines, their documents and their audit trail."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from timbra.customers.models import Customer
from timbra.dbfields import ScaledDecimalField
from timbra.domain.cancellation import STEP_LABELS, Step
from timbra.domain.status import LABELS, InvoiceStatus
from timbra.orgs.models import Org


class Invoice(models.Model):
    """One CFDI. `status` changes only through invoicing.transitions.move (compare-and-swap)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="invoices")
    livemode = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(max_length=20, default=InvoiceStatus.DRAFT, db_index=True)
    status_changed_at = models.DateTimeField()
    hold_code = models.CharField(max_length=40, blank=True, default="")
    hold_message = models.TextField(blank=True, default="")

    # business-fact key: at most one CFDI per (org, source, source_id), e.g. a gateway
    # charge or a schedule period. The unique constraint is the guarantee.
    source = models.CharField(max_length=30, blank=True, default="")
    source_id = models.CharField(max_length=200, blank=True, default="")

    serie = models.CharField(max_length=25, blank=True, default="")
    folio = models.CharField(max_length=40, blank=True, default="")
    tipo_de_comprobante = models.CharField(max_length=1, default="I")
    metodo_pago = models.CharField(max_length=3, default="PUE")
    forma_pago = models.CharField(max_length=2, default="99")
    moneda = models.CharField(max_length=3, default="MXN")
    tipo_cambio = ScaledDecimalField(scale=6, null=True, blank=True)
    exportacion = models.CharField(max_length=2, default="01")
    condiciones_de_pago = models.CharField(max_length=200, blank=True, default="")
    uso_cfdi = models.CharField(max_length=4, blank=True, default="")  # override of the customer's
    send_email = models.BooleanField(default=True)
    related = models.JSONField(default=list, blank=True)  # [{"tipo_relacion": "01", "uuids": [...]}]
    # Only on a factura global: {"periodicidad": "04", "meses": "11", "año": 2026}.
    informacion_global = models.JSONField(default=dict, blank=True)

    subtotal = ScaledDecimalField(scale=2, default=0)
    descuento = ScaledDecimalField(scale=2, default=0)
    total_traslados = ScaledDecimalField(scale=2, default=0)
    total_retenciones = ScaledDecimalField(scale=2, default=0)
    total = ScaledDecimalField(scale=2, default=0)

    # snapshot of the receptor as sealed (the customer record may change later)
    receptor = models.JSONField(default=dict, blank=True)
    fecha = models.CharField(max_length=19, blank=True, default="")  # CFDI Fecha, local, as sealed
    # The CFDI Fecha the caller asked for (aware; API `fecha`, issue 10), within SAT's 72-hour
    # window. None: the Fecha is the moment of sealing.
    requested_fecha = models.DateTimeField(null=True, blank=True)
    no_certificado = models.CharField(max_length=20, blank=True, default="")
    sealed_sha256 = models.CharField(max_length=64, blank=True, default="")
    sealed_at = models.DateTimeField(null=True, blank=True)
    uuid = models.CharField(max_length=36, null=True, blank=True, unique=True)
    stamped_at = models.DateTimeField(null=True, blank=True)
    pac = models.CharField(max_length=30, blank=True, default="")

    # A request to cancel the stamped CFDI at the SAT (e.g. its Stripe invoice was voided):
    # a person or the cancellation workflow acts on it; c_Motivo "02" = errors, no relation.
    cancellation_requested_at = models.DateTimeField(null=True, blank=True)
    cancellation_motive = models.CharField(max_length=2, blank=True, default="")
    cancellation_reason = models.TextField(blank=True, default="")  # Spanish
    # The cancellation at the SAT (issue 11; invoicing/cancel.py). `cancellation_status` is a
    # domain.cancellation.Step; `cancellation_previous_status` is where a rejected request returns.
    cancellation_status = models.CharField(max_length=20, blank=True, default="")
    cancellation_folio_sustitucion = models.CharField(max_length=36, blank=True, default="")
    cancellation_previous_status = models.CharField(max_length=20, blank=True, default="")
    cancellation_needs_acceptance = models.BooleanField(null=True, blank=True)
    cancellation_attempts = models.PositiveIntegerField(default=0)
    cancellation_next_check_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # «Corregir y sustituir»: the CFDI that replaces this one (TipoRelacion 04); once it is stamped,
    # this one is cancelled with motive 01 (invoicing/substitute.py).
    substitute = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="substituted")
    # What the Egresos (notas de crédito) against this invoice add up to; a conditional UPDATE keeps
    # it at or below `total` (payments refunds and hand-made credit notes alike).
    credited = ScaledDecimalField(scale=2, default=0)
    # The last answer of the SAT status service (vigente / cancelado / cancelable).
    sat_estado = models.CharField(max_length=40, blank=True, default="")
    sat_es_cancelable = models.CharField(max_length=60, blank=True, default="")
    sat_estatus_cancelacion = models.CharField(max_length=60, blank=True, default="")
    sat_checked_at = models.DateTimeField(null=True, blank=True)

    stamp_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # Unexpected errors of this invoice's jobs (invoicing/poison.py): at MAX_JOB_FAILURES the
    # sweeper stops re-queuing it and it is held with a reason a person can read (issue 14 §1).
    job_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "source", "source_id"],
                condition=~Q(source=""),
                name="one_invoice_per_business_fact",
            ),
            models.UniqueConstraint(
                fields=["org", "serie", "folio"],
                condition=~Q(folio=""),
                name="folio_never_reused",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "livemode", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "cancellation_next_check_at"]),
            # The dashboard over years of history (issue 13, bench/dashboard_scale.py): the list's
            # newest-first pages, "Inicio"'s month ranges, a state's recent changes, a folio.
            models.Index(fields=["org", "livemode", "-created_at", "-id"], name="invoice_list_newest"),
            models.Index(fields=["org", "livemode", "stamped_at"], name="invoice_stamped_month"),
            models.Index(fields=["org", "livemode", "status", "status_changed_at"], name="invoice_status_since"),
            models.Index(fields=["org", "folio"], name="invoice_folio"),
            models.Index(fields=["customer", "-created_at"], name="invoice_customer_newest"),
            # Covers Inicio's 12-month recurring trend (an index-only scan, no row reads).
            models.Index(fields=["org", "livemode", "source", "stamped_at", "moneda", "status", "subtotal", "descuento"],
                         name="invoice_recurring_month"),
            models.Index(fields=["org", "livemode"], condition=Q(cancellation_requested_at__isnull=False),
                         name="invoice_cancellation_asked"),
        ]

    @property
    def status_label(self) -> str:
        return LABELS[InvoiceStatus(self.status)]

    @property
    def cancellation_label(self) -> str:
        return STEP_LABELS.get(Step(self.cancellation_status), "") if self.cancellation_status else ""

    @property
    def serie_folio(self) -> str:
        return f"{self.serie}-{self.folio}" if self.serie else self.folio

    def __str__(self) -> str:
        return f"Factura {self.serie_folio or self.pk}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL)
    clave_prod_serv = models.CharField(max_length=8)
    clave_unidad = models.CharField(max_length=3)
    unidad = models.CharField(max_length=20, blank=True, default="")
    no_identificacion = models.CharField(max_length=100, blank=True, default="")
    descripcion = models.CharField(max_length=1000)
    cantidad = ScaledDecimalField(scale=6)
    valor_unitario = ScaledDecimalField(scale=6)  # always tax-exclusive
    descuento = ScaledDecimalField(scale=2, default=0)
    objeto_imp = models.CharField(max_length=2, default="02")
    taxes = models.JSONField(default=list)  # preset codes (timbra.domain.tax_presets)
    # Explicit tax Importes aligned with `taxes` ("0.01" or None for half up), set only where a
    # tax-inclusive price must add up exactly to the money paid (domain.taxes.line_from_gross).
    tax_importes = models.JSONField(default=list, blank=True)
    importe = ScaledDecimalField(scale=2, default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="line_position_unique")]


class InvoiceDocument(models.Model):
    """The bytes: signed XML (saved before any PAC call), stamped XML, PDF.
    Kept apart from Invoice so lists and status updates never load them."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="document")
    sealed_xml = models.BinaryField(null=True)
    stamped_xml = models.BinaryField(null=True)
    pdf = models.BinaryField(null=True)
    cancellation_acuse = models.BinaryField(null=True)  # the SAT's acknowledgement the PAC relayed


class InvoiceEvent(models.Model):
    """Audit trail: every state change and notable action, shown as the invoice timeline."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    actor = models.CharField(max_length=120, blank=True, default="")
    message = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class CancellationSettings(models.Model):
    """Per-org choices of issue 11: whether a gateway's void or full refund cancels the CFDI at the SAT
    (instead of only flagging it, or issuing a nota de crédito). Orgs without a row use the defaults:
    off (invoicing.cancel_settings.settings_for)."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="cancellation_settings")
    cancel_on_gateway_void = models.BooleanField(default=False)  # Stripe invoice.voided → motive 02
    cancel_on_full_refund = models.BooleanField(default=False)  # refund of the whole charge → motive 03
    updated_at = models.DateTimeField()


class IdempotencyRecord(models.Model):
    """API `Idempotency-Key`: same key and same request → the same stored response."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE)
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "livemode", "key"], name="idempotency_key_unique"),
        ]
