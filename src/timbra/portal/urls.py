from django.urls import path

from timbra.portal.views import documents, entry, pages

app_name = "portal"

urlpatterns = [
    path("datos-fiscales/<str:token>", pages.fiscal_data, name="fiscal_data"),
    path("datos-fiscales/<str:token>/constancia", pages.upload_csf, name="upload_csf"),
    path("datos-fiscales/<str:token>/validar", pages.validate, name="validate"),
    path("datos-fiscales/<str:token>/estado", pages.status_fragment, name="status"),
    path("datos-fiscales/<str:token>/facturas/<int:invoice_id>/pdf", documents.invoice_pdf, name="invoice_pdf"),
    path("datos-fiscales/<str:token>/facturas/<int:invoice_id>/xml", documents.invoice_xml, name="invoice_xml"),
    path("datos-fiscales/<str:token>/facturas/zip", documents.invoices_zip, name="invoices_zip"),
    path("negocio/<str:key>/", entry.entry, name="entry"),
]
