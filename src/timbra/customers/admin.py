from django.contrib import admin

from timbra.customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "org", "rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "livemode")
    search_fields = ("rfc", "nombre")
