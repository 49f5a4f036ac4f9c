"""Plans, schedules, their history and the invoices they issued.

A schedule's calendar (rule versions, skipped cycles, pauses) is stored as JSON and rebuilt
into `timbra.domain.schedule_dates.Schedule` (schedules.calendar); the columns next to it
(frequency, anchor, ...) mirror its latest version for lists and filters.

Exactly one invoice per schedule and period: the invoice's unique business key
(org, source="schedule", source_id="<schedule id>:<period key>") is THE guarantee; the
`ScheduleRun` row, unique on (schedule, index) and (schedule, period_key), records it.
"""

from __future__ import annotations

from django.db import models

from timbra.customers.models import Customer
from timbra.dbfields import ScaledDecimalField
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org

SOURCE = "schedule"


class Plan(models.Model):
    """A reusable offer many customers subscribe to. Its lines are versioned by instant
    (`versions`: [{"at": iso, "lines": [...]}]): a cycle takes the lines in force when it is due,
    so a price change reaches every member's next invoice and never one already due."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="plans")
    livemode = models.BooleanField(default=False)
    name = models.CharField(max_length=200)
    lines = models.JSONField(default=list)  # the current version, for display
    versions = models.JSONField(default=list)
    frequency = models.CharField(max_length=40)  # a default for new members (periods.Frequency code)
    notice_days = models.PositiveSmallIntegerField(default=3)
    prepaid = models.BooleanField(default=False)
    forma_pago = models.CharField(max_length=2, default="99")
    moneda = models.CharField(max_length=3, default="MXN")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["org", "livemode", "active"])]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """One customer's recurring invoice. Status changes and calendar edits go through
    schedules.services (row lock + `revision` bump + history row)."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    ENDED = "ended"
    STATUS_LABELS = {
        DRAFT: "Borrador",
        ACTIVE: "Activa",
        PAUSED: "En pausa",
        CANCELLED: "Cancelada",
        ENDED: "Terminada",
    }

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="schedules")
    livemode = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="schedules")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="schedules")
    name = models.CharField(max_length=200, blank=True, default="")

    # The latest rule version, mirrored from `calendar` for display and filters.
    frequency = models.CharField(max_length=40)
    anchor_date = models.DateField()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    cycles = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64)
    issue_time = models.TimeField()
    # {"versions": [...], "skipped": [...], "pauses": [...]} (schedules.calendar)
    calendar = models.JSONField(default=dict)
    # [{"from": index, "lines": [...] | None (the plan's), "overrides": [...]}] (schedules.lines)
    line_versions = models.JSONField(default=list)

    prepaid = models.BooleanField(default=False)  # PUE with `forma_pago`; otherwise PPD + 99
    forma_pago = models.CharField(max_length=2, default="99")
    moneda = models.CharField(max_length=3, default="MXN")
    tipo_cambio = ScaledDecimalField(scale=6, null=True, blank=True)
    uso_cfdi = models.CharField(max_length=4, blank=True, default="")  # override of the customer's
    serie = models.CharField(max_length=25, blank=True, default="")
    send_email = models.BooleanField(default=True)
    notice_days = models.PositiveSmallIntegerField(default=3)

    status = models.CharField(max_length=10, default=DRAFT)
    cancel_at_period_end = models.BooleanField(default=False)
    # Cursor: every cycle below `next_index` is settled (issued, skipped or paused). It only grows.
    next_index = models.PositiveIntegerField(default=0)
    # When the issuer must look at this schedule next (a hint: too early is harmless).
    next_due_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)  # bumped by every change; guards the issuer
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_due_at"]),
            models.Index(fields=["org", "livemode", "status"]),
        ]

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status]

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return self.plan.name if self.plan_id and self.plan else f"Programación {self.pk}"

    def __str__(self) -> str:
        return self.display_name


class ScheduleChange(models.Model):
    """The schedule's history: every change and every issued period, in Spanish."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    actor = models.CharField(max_length=120, blank=True, default="")
    kind = models.CharField(max_length=40)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class ScheduleRun(models.Model):
    """The invoice a schedule issued for one cycle."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    index = models.PositiveIntegerField()
    period_key = models.CharField(max_length=20)
    period_label = models.CharField(max_length=200, blank=True, default="")
    period_start = models.DateField()
    period_end = models.DateField()
    due_at = models.DateTimeField()
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="schedule_run")
    issued_at = models.DateTimeField()
    hold_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "index"], name="one_run_per_cycle"),
            models.UniqueConstraint(fields=["schedule", "period_key"], name="one_run_per_period"),
        ]
