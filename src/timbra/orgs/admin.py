"""Operators' admin (the staff dashboard is for businesses). Secrets are never shown."""

from django.contrib import admin

from timbra.orgs.models import ApiKey, Csd, Membership, Org, OrgEvent, OrgPac, Series


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


@admin.register(OrgPac)
class OrgPacAdmin(admin.ModelAdmin):
    list_display = ("org", "name", "test_environment", "base_url", "checked_at", "check_ok", "updated_at")
    fields = ("org", "name", "test_environment", "base_url", "credential_hints", "checked_at", "check_ok",
              "check_message", "updated_at")  # never the encrypted credentials
    readonly_fields = fields


@admin.register(OrgEvent)
class OrgEventAdmin(admin.ModelAdmin):
    list_display = ("at", "org", "kind", "actor", "message")
    list_filter = ("kind",)
    fields = ("org", "at", "kind", "actor", "message", "data")
    readonly_fields = fields


admin.site.register(Series)
admin.site.register(Membership)
