from django.apps import AppConfig


class GlobalInvoiceConfig(AppConfig):
    name = "timbra.globalinvoice"
    label = "globalinvoice"
    verbose_name = "Factura global y autofactura"
