"""The customer's self-service portal (issue 12): no account, reached by signed links; the
customer sees and edits their fiscal data (typed, or read from their CSF), which releases every
payment and held invoice that waited for it, and downloads their invoices. Also the chase loop
that emails the link to customers whose payments wait for fiscal data."""
from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "timbra.portal"
    label = "portal"
    verbose_name = "Portal del cliente"
