"""The sandbox PAC's own ledger: what it has stamped, as a real PAC remembers it."""

from django.db import models


class SandboxStamp(models.Model):
    """One stamp issued by the built-in sandbox PAC (no fiscal validity).

    `xml_sha256` (of the exact signed bytes the client sent) is unique: the insert is the PAC's commit,
    and a second insert for the same bytes fails, so concurrent stamps of one CFDI yield one UUID.
    """

    xml_sha256 = models.CharField(max_length=64, unique=True)
    uuid = models.CharField(max_length=36, unique=True)
    stamped_xml = models.BinaryField()
    emisor_rfc = models.CharField(max_length=13, db_index=True)
    created_at = models.DateTimeField()
    # Its cancellation, as the SAT would keep it (timbra.sandbox.cancellations): when it was asked,
    # whether the receptor had to accept, and the receptor's answer ("" = none yet: silence).
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_motivo = models.CharField(max_length=2, blank=True, default="")
    cancel_folio_sustitucion = models.CharField(max_length=36, blank=True, default="")
    cancel_needs_acceptance = models.BooleanField(default=False)
    receptor_answer = models.CharField(max_length=10, blank=True, default="")  # acepta | rechaza
    receptor_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "timbre del PAC de pruebas"
        verbose_name_plural = "timbres del PAC de pruebas"

    def __str__(self) -> str:
        return f"{self.uuid} ({self.emisor_rfc})"
