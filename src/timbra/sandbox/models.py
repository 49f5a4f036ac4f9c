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

    class Meta:
        verbose_name = "timbre del PAC de pruebas"
        verbose_name_plural = "timbres del PAC de pruebas"

    def __str__(self) -> str:
        return f"{self.uuid} ({self.emisor_rfc})"
