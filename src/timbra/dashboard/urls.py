"""Staff dashboard URLs (Spanish paths), mounted at "/" by timbra.urls."""

from __future__ import annotations

from django.urls import path

from timbra.dashboard.views import (
    api_keys,
    assets,
    attention,
    csd,
    customers,
    invoice_actions,
    invoices,
    mode,
    products,
    schedules,
    settings,
)

app_name = "dashboard"

urlpatterns = [
    path("", invoices.invoice_list, name="invoice_list"),
    path("facturas/nueva/", invoices.invoice_new, name="invoice_new"),
    path("facturas/<int:invoice_id>/", invoices.invoice_detail, name="invoice_detail"),
    path("facturas/<int:invoice_id>/pdf/", invoice_actions.invoice_pdf, name="invoice_pdf"),
    path("facturas/<int:invoice_id>/xml/", invoice_actions.invoice_xml, name="invoice_xml"),
    path("facturas/<int:invoice_id>/reintentar/", invoice_actions.invoice_retry, name="invoice_retry"),
    path("facturas/<int:invoice_id>/descartar/", invoice_actions.invoice_discard, name="invoice_discard"),
    path("atencion/", attention.attention_list, name="attention"),
    path("clientes/", customers.customer_list, name="customer_list"),
    path("clientes/nuevo/", customers.customer_new, name="customer_new"),
    path("clientes/<int:customer_id>/", customers.customer_edit, name="customer_edit"),
    path("productos/", products.product_list, name="product_list"),
    path("productos/nuevo/", products.product_new, name="product_new"),
    path("productos/<int:product_id>/", products.product_edit, name="product_edit"),
    path("suscripciones/", schedules.schedule_list, name="schedule_list"),
    path("suscripciones/nueva/", schedules.schedule_new, name="schedule_new"),
    path("suscripciones/proximas/", schedules.upcoming, name="upcoming"),
    path("suscripciones/<int:schedule_id>/", schedules.schedule_detail, name="schedule_detail"),
    path("suscripciones/<int:schedule_id>/activar/", schedules.schedule_activate, name="schedule_activate"),
    path("suscripciones/<int:schedule_id>/pausar/", schedules.schedule_pause, name="schedule_pause"),
    path("suscripciones/<int:schedule_id>/reanudar/", schedules.schedule_resume, name="schedule_resume"),
    path("suscripciones/<int:schedule_id>/omitir/", schedules.schedule_skip, name="schedule_skip"),
    path("suscripciones/<int:schedule_id>/cancelar/", schedules.schedule_cancel, name="schedule_cancel"),
    path("planes/", schedules.plan_list, name="plan_list"),
    path("planes/nuevo/", schedules.plan_new, name="plan_new"),
    path("ajustes/", settings.org_settings, name="settings"),
    path("ajustes/logotipo/", settings.org_logo, name="org_logo"),
    path("ajustes/csd/", csd.csd_settings, name="csd"),
    path("ajustes/api/", api_keys.api_keys, name="api_keys"),
    path("ajustes/api/<int:key_id>/revocar/", api_keys.api_key_revoke, name="api_key_revoke"),
    path("modo/", mode.switch_mode, name="switch_mode"),
    path("assets/app.css", assets.app_css, name="app_css"),
]
