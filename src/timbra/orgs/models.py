"""Issuers (orgs), their series, CSDs, API keys and staff memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Org(models.Model):
    """An emisor: the business that issues CFDIs. Every row in Timbra belongs to one."""

    rfc = models.CharField(max_length=13)
    nombre = models.CharField(max_length=300)  # razón social as the CSF shows it, no régimen capital suffix
    regimen_fiscal = models.CharField(max_length=3)
    lugar_expedicion = models.CharField(max_length=5)  # CP of the place of issue
    timezone = models.CharField(max_length=64, default="America/Mexico_City")
    email = models.EmailField(blank=True)
    brand_color = models.CharField(max_length=7, default="#1F4E79")
    logo = models.BinaryField(null=True, blank=True)
    default_serie = models.CharField(max_length=25, default="A")
    csd_warn_days = models.PositiveSmallIntegerField(default=30)
    # What one invoice would cost a person by hand (look up data, type, stamp, email): "Inicio"
    # shows documents × this as the hours Timbra saved (issue 13).
    minutes_per_invoice = models.PositiveSmallIntegerField(default=5)
    # The explicit switch to live (issue 11): set by orgs.onboarding.go_live only once a real PAC
    # and a valid CSD are configured. Until then live-mode invoices wait (held, pac_not_configured).
    live_enabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.nombre} ({self.rfc})"


class Series(models.Model):
    """A serie and its folio counter. Folios are taken inside the issuing transaction
    with an atomic increment, so a folio is never handed out twice nor reused."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="series")
    code = models.CharField(max_length=25)
    next_folio = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "code"], name="one_series_code_per_org")]

    def __str__(self) -> str:
        return f"{self.code} (siguiente folio {self.next_folio})"


class Csd(models.Model):
    """An uploaded Certificado de Sello Digital. The key and its password are stored only
    encrypted with AES-GCM, bound to org and certificate number (timbra.csd.vault)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="csds")
    no_certificado = models.CharField(max_length=20)
    rfc = models.CharField(max_length=13)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField()
    fingerprint = models.CharField(max_length=64)
    certificate_der = models.BinaryField()
    key_encrypted = models.BinaryField()
    password_encrypted = models.BinaryField()
    active = models.BooleanField(default=True)
    uploaded_at = models.DateTimeField()
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "no_certificado"], name="one_row_per_certificate"),
        ]

    def __repr__(self) -> str:  # never show key material
        return f"<Csd {self.no_certificado} org={self.org_id}>"

    __str__ = __repr__


class ApiKey(models.Model):
    """A secret API key, shown once. Only its SHA-256 is stored: keys are 256-bit random,
    so a fast hash is enough (no password-stretching needed for high-entropy secrets)."""

    SCOPE_READ = "read"
    SCOPE_WRITE = "write"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=32, unique=True)  # public part, e.g. "sk_test_ab12cd34"
    secret_hash = models.CharField(max_length=64)
    livemode = models.BooleanField(default=False)
    scopes = models.CharField(max_length=100, default="read,write")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes.split(",")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class Membership(models.Model):
    """A staff user's access to an org's dashboard, with a role (orgs.roles). A user may belong to
    several orgs (issuers) and switches between them; API keys stay per org."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=20, default="owner")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "org"], name="one_membership_per_user_and_org")]


class OrgPac(models.Model):
    """The PAC that stamps this org's live invoices and its credentials.

    Credentials are stored only encrypted (AES-GCM through the CSD vault), bound to the org and
    to this column (`orgs.pac_settings.credentials_aad`); `credential_hints` keeps what a person may
    see again (a prefix and the last characters, never a password)."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="pac")
    name = models.CharField(max_length=30)  # "sandbox", "finkok", "sw", "diverza"
    credentials_encrypted = models.BinaryField(null=True, blank=True)
    credential_hints = models.JSONField(default=dict, blank=True)
    base_url = models.CharField(max_length=300, blank=True, default="")
    test_environment = models.BooleanField(default=True)  # the PAC's own test service: no fiscal validity
    checked_at = models.DateTimeField(null=True, blank=True)
    check_ok = models.BooleanField(null=True)
    check_message = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField()

    def __repr__(self) -> str:  # never show credentials
        return f"<OrgPac {self.name} org={self.org_id}>"

    __str__ = __repr__


class OrgEvent(models.Model):
    """Audit trail of an org: its configuration (created, PAC, live switch), its team, and every
    change to customers' fiscal data, API keys and CSDs (who, when, before -> after, from where)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    actor = models.CharField(max_length=120, blank=True, default="")
    message = models.TextField(blank=True, default="")  # Spanish, for people; never a secret
    data = models.JSONField(default=dict, blank=True)  # {"changes": {field: [before, after]}, …}; never a secret
    # What changed and from where (issue 13 §4): the history tab of an object reads these.
    object_type = models.CharField(max_length=40, blank=True, default="")  # "customer", "api_key", "csd", …
    object_id = models.CharField(max_length=40, blank=True, default="")
    source = models.CharField(max_length=12, blank=True, default="")  # "dashboard", "api", "job", "cli", "portal"

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["org", "object_type", "object_id"], name="orgevent_object")]
