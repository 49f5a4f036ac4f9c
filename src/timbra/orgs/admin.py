"""Operators' admin (the staff dashboard is for businesses). Secrets are never shown."""

from django.contrib import admin

from timbra.orgs.models import ApiKey, Csd, Membership, Org, Series


@admin.register(Org)
class OrgAdmin(admin.ModelAdmin):
    list_display = ("id", "rfc", "nombre", "regimen_fiscal", "lugar_expedicion", "timezone", "created_at")
    search_fields = ("rfc", "nombre")
    exclude = ("logo",)


@admin.register(Csd)
class CsdAdmin(admin.ModelAdmin):
    list_display = ("no_certificado", "org", "rfc", "valid_from", "valid_to", "active")
    fields = ("org", "no_certificado", "rfc", "valid_from", "valid_to", "fingerprint", "active", "uploaded_at")
    readonly_fields = fields


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "org", "name", "livemode", "scopes", "created_at", "last_used_at", "revoked_at")
    fields = ("org", "name", "prefix", "livemode", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields


admin.site.register(Series)
admin.site.register(Membership)
