"""Operators' admin for invoices: read-only; every change goes through the services."""

from django.contrib import admin

from timbra.invoicing.models import Invoice, InvoiceEvent


class EventInline(admin.TabularInline):
    model = InvoiceEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "from_status", "to_status", "actor", "message")
    fields = readonly_fields


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("id", "org", "serie", "folio", "status", "uuid", "total", "moneda", "livemode", "created_at")
    list_filter = ("status", "livemode")
    search_fields = ("uuid", "folio", "customer__rfc")
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
